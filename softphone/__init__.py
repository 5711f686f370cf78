"""softphone: a desktop SIP softphone with an embedded call-centric mini-CRM."""

__version__ = "0.1.0"
