"""The office: colleagues found on the LAN (mDNS/DNS-SD) and a shared contact database."""
