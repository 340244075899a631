"""The device posture gate: who, on which device, may do what with which data.

This package holds the pure decision core: the device feed, the posture checks
and the conditional-access decision. The HTTP endpoint comes later.
"""
