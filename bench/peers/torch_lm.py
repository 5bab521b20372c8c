"""PyTorch peer for `pnpm bench:peers --arch lm` (optional: weft never needs Python).

usage: python3 bench/peers/torch_lm.py --threads T [--batch 32] [--vocab 28] [--steps N]
       [--repeats R] [--warmup K] [--target-ms 500] [--seed 0] [--quick]

Issue 15's standard char-LM workload, measured as bench/src/measure.ts measures weft: K warm-up
steps (not timed), then R timed repeats of N steps (N = 0: fitted to about --target-ms per
repeat), the median repeat's tokens/s. Token + position embeddings (d = 64, block 32) -> 2
pre-norm TransformerEncoderLayers (4 heads, feed-forward 256, GELU, causal mask, dropout 0,
batch_first) -> LayerNorm -> Linear(vocab); cross-entropy over the [B*T, vocab] logits; AdamW
(lr 1e-3). A batch is --batch windows of 32 tokens drawn from a fixed pool of uniform random
windows (the speed does not depend on the characters; weft's bench reads the names corpus), each
step gathering its windows and reading the loss back (.item()).
Prints one JSON line: the record bench/src/peers-lm.ts reads.
"""
import json

from peer_common import blas_name, measure_training, median, parse

ARGS = parse(__doc__.split("\n")[0], batch=32, extra=lambda p: p.add_argument("--vocab", type=int, default=28), max_steps=400)

import torch  # noqa: E402
from torch import nn  # noqa: E402

BLOCK, D, HEADS, LAYERS, FF = 32, 64, 4, 2, 256


class CharTransformer(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, D)
        self.pos_emb = nn.Embedding(BLOCK, D)
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS)
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, vocab)
        self.register_buffer("mask", torch.triu(torch.full((BLOCK, BLOCK), float("-inf")), diagonal=1))
        self.register_buffer("pos", torch.arange(BLOCK))

    def forward(self, tokens):
        t = tokens.shape[1]
        h = self.tok_emb(tokens) + self.pos_emb(self.pos[:t])
        h = self.encoder(h, mask=self.mask[:t, :t])
        return self.head(self.norm(h))


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rows = max(1024, 4 * a.batch)
    x_all = torch.randint(0, a.vocab, (rows, BLOCK))
    y_all = torch.randint(0, a.vocab, (rows, BLOCK))
    model = CharTransformer(a.vocab).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    steps, runs = measure_training(a, torch, x_all, y_all, opt, lambda x, y: loss_fn(model(x).reshape(-1, a.vocab), y.reshape(-1)))
    mid = median(runs)
    blas = blas_name()
    note = f"torch {torch.__version__}, {a.threads} thread(s), {blas}"
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({
        "bench": "peer", "library": "pytorch", "arch": "lm", "torch": torch.__version__, "workers": 1, "threads": a.threads,
        "batch": a.batch, "params": params, "note": note, "samplesPerSec": mid, "tokensPerSec": mid * BLOCK,
        "msPerStep": a.batch * 1000 / mid, "runs": runs, "steps": steps, "repeats": a.repeats,
    }))


if __name__ == "__main__":
    main()
