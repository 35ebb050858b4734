#!/usr/bin/python3
"""The vision CNN's training step in Python PyTorch, for bench/cnn_train_step (which runs this
with Debian's /usr/bin/python3 on the same LibTorch and compares).

Two variants of the same network (conv 3x3 -> 2x2 max-pool -> ReLU, twice, then two linear
layers with dropout) and the same AdamW update:
  idiomatic   the way the PyTorch tutorials write it: NCHW tensors, conv -> ReLU -> pool,
              optimizer.zero_grad() with its 1.13 default (zero-filled gradients);
  reef-layout the choices Reef's engine makes: channels-last tensors, pool before ReLU (max and
              ReLU commute), gradients dropped instead of zero-filled.
Prints one JSON line per variant: {"variant": ..., "ms_per_step": ...} (median of the repeats).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    def __init__(self, width=32, hidden=128, dropout=0.25, pool_first=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc1 = nn.Linear(2 * width * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        self.dropout = dropout
        self.pool_first = pool_first

    def block(self, conv, x):
        if self.pool_first:
            return F.relu(F.max_pool2d(conv(x), 2))
        return F.max_pool2d(F.relu(conv(x)), 2)

    def forward(self, x):
        x = self.block(self.conv2, self.block(self.conv1, x))
        x = F.dropout(x.flatten(1), self.dropout, self.training)
        x = F.dropout(F.relu(self.fc1(x)), self.dropout, self.training)
        return self.fc2(x)


def measure(variant, batch, steps, repeats, warmup):
    torch.manual_seed(0)
    reef_layout = variant == "reef-layout"
    model = SmallCnn(pool_first=reef_layout)
    images = torch.randn(batch, 1, 28, 28)
    labels = torch.randint(0, 10, (batch,))
    if reef_layout:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

    def step():
        optimizer.zero_grad(set_to_none=True) if reef_layout else optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for variant in ("idiomatic", "reef-layout"):
        seconds = measure(variant, args.batch, args.steps, args.repeats, args.warmup)
        print(json.dumps({"variant": variant, "ms_per_step": seconds * 1000.0,
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
