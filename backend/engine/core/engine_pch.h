#pragma once
// The one precompiled header of every engine target (engine, collections, engine tests, bench).
#include <torch/torch.h>
