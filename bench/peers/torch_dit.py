#!/usr/bin/env python3
"""The PyTorch peer of bench/train-step.ts: dlmk's DiT, layer for layer, trained the same way.

The model is runtime/nn/models/transformer.ts as its comments define it (MDLM/DUO's DDiT):
token embedding over V + 1 ids (the [MASK] row), sinusoidal time embedding (cos half, then sin
half, f_i = 10000^(-i/h)) through Linear-SiLU-Linear-SiLU to the conditioning vector c, per block
adaLN-zero (shift, scale, gate for attention and MLP; y = LN(x) * (1 + scale) + shift), LayerNorm
with a scale and no bias (eps 1e-5), bias-free fused qkv and output projections, rotary q/k
(pairs i and i + dh/2, theta = pos * 10000^(-2i/dh)), bidirectional attention, a 4x GELU(tanh)
MLP with biases, dropout 0.1 on both branches before their gated residuals, and a final adaLN
(shift, scale) + LayerNorm + untied linear to the V real tokens. Initialisation as dlmk's: adaLN
projections and the output layer zero. The step is the bench's: cross-entropy of the clean tokens
over all B*L positions (mean), backward, gradient clipping to norm 1, AdamW (lr 3e-4, betas 0.9,
0.999, eps 1e-8, weight decay 0.01); two fixed batches alternate, half the tokens masked.

Usage:
  python3 bench/peers/torch_dit.py --hidden 384 --layers 6 --heads 6 --cond 128 --freq 256 \
      --vocab 30522 --seq 128 --batch 8 [--device cpu|cuda] [--threads 2] [--steps 5] [--json]
On Debian: apt-get install python3-torch libopenblas0-openmp. The script re-executes itself with
OpenBLAS's OpenMP build first on LD_LIBRARY_PATH when it is installed (torch 1.13 from Debian
otherwise runs on the reference BLAS, 15-25x slower); --blas system keeps what the loader picks.
Thread counts are set in the environment before torch is imported (OpenBLAS reads them at load).
"""
import argparse
import json
import math
import os
import resource
import sys
import time


def parse():
    p = argparse.ArgumentParser(description="PyTorch peer of dlmk's DiT training step")
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--cond", type=int, required=True)
    p.add_argument("--freq", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--seq", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--tf32", action="store_true", help="cuda: allow TF32 (default: strict fp32, as dlmk)")
    p.add_argument("--blas", choices=["openmp", "system"], default="openmp")
    p.add_argument("--malloc", choices=["retain", "default"], default="retain",
                   help="retain: glibc keeps freed memory mapped (mallopt M_MMAP_MAX 0, M_TRIM_THRESHOLD -1), "
                        "so a step's large tensors are not unmapped and faulted in again every step")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args()


ARGS = parse()
OMP_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if ARGS.device == "cpu" and ARGS.blas == "openmp" and os.path.exists(os.path.join(OMP_BLAS, "libblas.so.3")):
    paths = os.environ.get("LD_LIBRARY_PATH", "").split(":")
    if OMP_BLAS not in paths:  # the dynamic loader reads LD_LIBRARY_PATH only at start-up
        env = dict(os.environ, LD_LIBRARY_PATH=":".join([OMP_BLAS] + [x for x in paths if x]))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
if ARGS.malloc == "retain":
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, -1)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def layer_norm(x, weight, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), weight, None, eps)


def rotary_tables(L, dh, device):
    half = dh // 2
    inv = torch.pow(10000.0, -2.0 * torch.arange(half, dtype=torch.float64) / dh)
    ang = torch.arange(L, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float().to(device), torch.sin(ang).float().to(device)


def rotate(x, cos, sin):
    # x: [B, H, L, dh]; element i and i + dh/2 form a pair.
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, d, heads, cond, dropout):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.Parameter(torch.ones(d))
        self.attn_qkv = nn.Linear(d, 3 * d, bias=False)
        self.attn_out = nn.Linear(d, d, bias=False)
        self.norm2 = nn.Parameter(torch.ones(d))
        self.mlp0 = nn.Linear(d, 4 * d)
        self.mlp2 = nn.Linear(4 * d, d)
        self.ada = nn.Linear(cond, 6 * d)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)
        self.dropout = dropout

    def forward(self, x, c, cos, sin):
        B, L, d = x.shape
        H = self.heads
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c)[:, None, :].chunk(6, dim=-1)
        h = layer_norm(x, self.norm1) * (1 + sc1) + sh1
        q, k, v = self.attn_qkv(h).view(B, L, 3, H, d // H).permute(2, 0, 3, 1, 4)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // H)
        o = torch.matmul(torch.softmax(s, dim=-1), v).transpose(1, 2).reshape(B, L, d)
        x = x + g1 * F.dropout(self.attn_out(o), self.dropout, self.training)
        h = layer_norm(x, self.norm2) * (1 + sc2) + sh2
        m = self.mlp2(F.gelu(self.mlp0(h), approximate="tanh"))
        return x + g2 * F.dropout(m, self.dropout, self.training)


class Dit(nn.Module):
    def __init__(self, a):
        super().__init__()
        d = a.hidden
        self.freq = a.freq
        self.embed = nn.Parameter(torch.empty(a.vocab + 1, d).uniform_(-1 / math.sqrt(d), 1 / math.sqrt(d)))
        self.t0 = nn.Linear(a.freq, a.cond)
        self.t2 = nn.Linear(a.cond, a.cond)
        self.blocks = nn.ModuleList([Block(d, a.heads, a.cond, a.dropout) for _ in range(a.layers)])
        self.norm_f = nn.Parameter(torch.ones(d))
        self.ada_f = nn.Linear(a.cond, 2 * d)
        self.out = nn.Linear(d, a.vocab)
        for lin in (self.ada_f, self.out):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def time_embedding(self, t):
        half = self.freq // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        a = t[:, None] * f[None, :]
        return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)

    def forward(self, ids, t, cos, sin):
        c = F.silu(self.t2(F.silu(self.t0(self.time_embedding(t)))))
        x = self.embed[ids]
        for blk in self.blocks:
            x = blk(x, c, cos, sin)
        sh, sc = self.ada_f(c)[:, None, :].chunk(2, dim=-1)
        return self.out(layer_norm(x, self.norm_f) * (1 + sc) + sh)


def main():
    a = ARGS
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    if a.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32
    model = Dit(a).to(dev)
    model.train()
    params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
    B, L, V = a.batch, a.seq, a.vocab
    g = torch.Generator().manual_seed(7)
    batches = []
    for _ in range(2):
        x0 = torch.randint(0, V, (B, L), generator=g)
        xt = torch.where(torch.rand(B, L, generator=g) < 0.5, torch.full_like(x0, V), x0)
        batches.append((xt.to(dev), x0.to(dev), torch.rand(B, generator=g).to(dev)))
    cos, sin = rotary_tables(L, a.hidden // a.heads, dev)

    def step(k):
        xt, x0, t = batches[k % 2]
        opt.zero_grad(set_to_none=True)
        logits = model(xt, t, cos, sin)
        loss = F.cross_entropy(logits.view(-1, V), x0.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    for k in range(a.warmup):
        step(k)
    sync()
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for k in range(a.steps):
        loss = step(k)
    last = float(loss.item())
    sync()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    if a.device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**20
        peak_kind = "cuda max_memory_allocated"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_kind = "process peak RSS"
    out = {
        "torch": torch.__version__, "device": a.device, "threads": a.threads,
        "blas": os.environ.get("LD_LIBRARY_PATH", "").split(":")[0] == OMP_BLAS and "openblas-openmp" or "system",
        "params": params, "B": B, "L": L, "V": V, "ms_per_step": ms, "tokens_per_s": B * L / (ms / 1000),
        "peak_mib": peak, "peak_kind": peak_kind, "loss": last, "malloc": a.malloc,
    }
    if a.json:
        print(json.dumps(out))
    else:
        print(f"torch {out['torch']} {a.device}: {params / 1e6:.3f}M params, {ms:.1f} ms/step, "
              f"{out['tokens_per_s']:.0f} tokens/s, peak {peak:.0f} MiB ({peak_kind}), loss {last:.3f}")


if __name__ == "__main__":
    main()
