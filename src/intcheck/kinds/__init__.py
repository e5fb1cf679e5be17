"""The integration kinds, one package each: rest, soap, cti, sms, email, iframe.

Each package exposes ``KIND`` (an ``intcheck.plugins.Kind``): its contract vocabulary, how it
reads its contract, and what it can mock, probe, simulate and load. ``plugins.Registry``
collects them; adding a kind is one package here and one line in ``plugins.BUILTIN_KINDS``.
``base`` holds what the mock server and a kind's mock share, ``probing`` the probe's case and
check types.
"""
