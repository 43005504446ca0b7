"""pytest fixtures: one emulator per session (in-process, free port, or the one
at $EC2FLEET_EMULATOR_URL), a fresh AWS account per test for isolation, boto3
clients bound to that account, and the control client.

Use from a conftest.py:  from ec2fleet_emulator.pytest_plugin import *  # noqa"""
import itertools
import os
import random

import pytest

from .client import client
from .control_client import Control

__all__ = ["emulator", "emulator_url", "control", "account", "aws", "profile"]

_ids = itertools.count(1)


@pytest.fixture(scope="session")
def emulator_url():
    url = os.environ.get("EC2FLEET_EMULATOR_URL")
    if url:
        yield url
        return
    from .server import Emulator
    emu = Emulator(port=0).start()
    yield emu.url
    emu.stop()


@pytest.fixture(scope="session")
def emulator(emulator_url):
    return emulator_url


@pytest.fixture(scope="session")
def control(emulator_url):
    return Control(emulator_url)


@pytest.fixture
def account():
    """A fresh 12-digit account id: each test sees an empty AWS."""
    return f"{random.randint(100, 999)}{next(_ids):09d}"


@pytest.fixture
def aws(emulator_url, account):
    """aws("ec2", region="us-east-1") -> boto3 client in this test's account."""
    def make(service, region="us-east-1", **kw):
        return client(service, emulator_url, account, region, **kw)
    make.account = account
    make.url = emulator_url
    return make


@pytest.fixture
def profile(control):
    """profile({...}) switches the running emulator's profile; restored after the test."""
    before = control.profile()

    def set_(data):
        return control.set_profile(data)
    yield set_
    control.set_profile(before or {})
