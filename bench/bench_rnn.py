"""LSTM and GRU, one layer, hidden 256, input 256, sequence 64, batch 32: fastnn vs torch (oneDNN on CPU),
forward and forward+backward through the modules.

Napkin math: per step 2 * B * 4H * (I + H) FLOP for the gate GEMMs (the input projection of all steps is one
GEMM, the hidden one a B x H by H x 4H GEMM per step); the backward about twice that. A GRU has 3 gates
instead of 4: 3/4 of the LSTM's FLOP. The pointwise cell
math is negligible next to it; the per-step GEMMs are small (32 x 256 x 1024), so neither side reaches the
FMA peak.
"""
from __future__ import annotations

import fastnn

from .harness import Case

T, B, I, H = 64, 32, 256, 256
FWD_FLOPS = 2.0 * T * B * 4 * H * (I + H)


def _variant():
    return "gemm + " + fastnn._C.selected_kernel("rnn_cell_f32")


def cases() -> list[Case]:
    def modules(device, cls):
        import torch

        import fastnn.nn
        torch.manual_seed(0)
        ours = getattr(fastnn.nn, cls)(I, H, device=device)
        theirs = getattr(torch.nn, cls)(I, H, device=device)
        theirs.load_state_dict(ours.state_dict())
        return ours, theirs

    def fwd(device, cls="LSTM"):
        import torch
        ours, theirs = modules(device, cls)
        x = torch.randn(T, B, I, device=device)

        def run(m):
            with torch.no_grad():
                m(x)

        return {"fastnn": lambda: run(ours), "torch": lambda: run(theirs)}

    def step(device, cls="LSTM"):
        import torch
        ours, theirs = modules(device, cls)
        x = torch.randn(T, B, I, device=device, requires_grad=True)
        g = torch.randn(T, B, H, device=device)

        def run(m):
            x.grad = None
            for p in m.parameters():
                p.grad = None
            out, _ = m(x)
            out.backward(g)

        return {"fastnn": lambda: run(ours), "torch": lambda: run(theirs)}

    shape = f"T={T} B={B} I={I} H={H}"
    return [Case("rnn", "LSTM fwd", shape, T * B, fwd, flops=FWD_FLOPS, quick=False,
                 napkin="2*T*B*4H*(I+H) FLOP (gate GEMMs)", variant=_variant),
            Case("rnn", "LSTM fwd+bwd", shape, T * B, step, flops=3 * FWD_FLOPS, quick=True,
                 napkin="forward + ~2x for the backward GEMMs", variant=_variant),
            Case("rnn", "GRU fwd", shape, T * B, lambda d: fwd(d, "GRU"), flops=0.75 * FWD_FLOPS, quick=False,
                 napkin="2*T*B*3H*(I+H) FLOP (gate GEMMs)", variant=_variant),
            Case("rnn", "GRU fwd+bwd", shape, T * B, lambda d: step(d, "GRU"), flops=2.25 * FWD_FLOPS, quick=False,
                 napkin="forward + ~2x for the backward GEMMs", variant=_variant)]
