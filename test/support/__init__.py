"""Black-box test support for tenet: a server fixture and a raw MQTT-over-mTLS client.

Nothing here imports or runs tenet code except the `tenet` binary itself; packets are built and read
by the small, spec-derived helpers in `packets.py`, checked against hand-written hex in
`test/conformance/test_00_support.py`.
"""
