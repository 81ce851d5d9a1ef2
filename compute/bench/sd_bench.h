#pragma once
// `atelier bench sd`: how fast a Stable Diffusion checkpoint runs on the device: UNet iterations/s
// at a picture size with classifier-free guidance (a batch of two per iteration, as every guided
// step runs), the text encoder's time for one prompt, the VAE decode's time, and peak memory.
// Real checkpoints cannot be downloaded everywhere: compute/bench/make_random_sd15.py writes one with
// SD 1.5's exact shapes and random weights, which runs exactly as fast.

#include "core/result.h"

#include <ostream>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::bench {

// args: --model PATH (required), --size N (512, pixels per side), --iterations N (5 timed UNet
// iterations after one warm-up), --precision f16|f32 (f16).
Status runSdBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out);

} // namespace atelier::bench
