"""The phone: the only package that imports pjsua2 (no Qt here).

- ``engine.py``   public API: :class:`Engine` (thread-safe commands, events out), ``EngineError``,
  ``InvalidTarget``.
- ``session.py``  what lives on the SIP thread: Endpoint, transports, accounts, registration.
- ``call_ops.py`` / ``call_media.py``  calls: set-up, rules, hold, DTMF, transfer / recording,
  conference, figures.
- ``accounts.py``, ``calls.py``  pjsua2 ``Account``/``Call`` subclasses and their bookkeeping.
- ``uris.py``, ``rules.py``  pure logic: dial targets, caller identity, call handling rules.
- ``resolver.py`` host lookups off the SIP thread; ``pjlog.py`` PJSIP log -> ``pjsip`` logger,
  redacted; ``audio_guard.py`` keeps audio failures away from call handling.
- ``events.py``, ``media_api.py``  the contracts with the UI and the audio backend.
"""
