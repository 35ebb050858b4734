#!/usr/bin/python3
"""Greedy decoding of a Hugging Face Llama folder with PyTorch, written from the Llama format's
definition (config.json, model.safetensors) and nothing of Reef's, for Reef's export tests:

    hf_llama_greedy.py FOLDER PROMPT_IDS_JSON COUNT  ->  {"tokens": [...]}
"""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + size + begin:8 + size + end])
        out[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(info["shape"])
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(cfg, w, ids):
    t = ids.shape[0]
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg["hidden_size"] // heads
    eps = cfg["rms_norm_eps"]
    inv = 1.0 / cfg["rope_theta"] ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv)
    angles = torch.cat((angles, angles), -1)
    cos, sin = angles.cos().float(), angles.sin().float()
    mask = torch.full((t, t), float("-inf")).triu(1)
    h = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = (x @ w[p + "self_attn.q_proj.weight"].T).view(t, heads, head_dim).transpose(0, 1)
        k = (x @ w[p + "self_attn.k_proj.weight"].T).view(t, kv_heads, head_dim).transpose(0, 1)
        v = (x @ w[p + "self_attn.v_proj.weight"].T).view(t, kv_heads, head_dim).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(heads // kv_heads, 0), v.repeat_interleave(heads // kv_heads, 0)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(head_dim) + mask, -1) @ v
        h = h + a.transpose(0, 1).reshape(t, -1) @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate, up = x @ w[p + "mlp.gate_proj.weight"].T, x @ w[p + "mlp.up_proj.weight"].T
        h = h + (F.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return h[-1] @ head.T


def main():
    folder, ids_json, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(folder + "/config.json") as f:
        cfg = json.load(f)
    assert cfg["model_type"] == "llama" and cfg["architectures"] == ["LlamaForCausalLM"]
    weights = read_safetensors(folder + "/model.safetensors")
    ids = json.loads(ids_json)
    out = []
    with torch.no_grad():
        for _ in range(count):
            token = int(forward(cfg, weights, torch.tensor(ids)).argmax())
            out.append(token)
            ids.append(token)
    print(json.dumps({"tokens": out}))


if __name__ == "__main__":
    main()
