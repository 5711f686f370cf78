"""A real pjsua2 Endpoint in the test process, for the unit tests of code that needs PJSIP's
library running (transports, conference-bridge ports); no sound device, no worker thread."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def pj_endpoint() -> Iterator[Any]:
    import pjsua2 as pj

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    ep.libStart()
    ep.audDevManager().setNullDev()
    yield ep
    gc.collect()  # pjsua2 objects of the tests go before the library they live in
    ep.libDestroy()
