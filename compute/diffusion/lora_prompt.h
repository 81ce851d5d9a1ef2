#pragma once
// A1111's extra-network tags for LoRAs in a prompt: <lora:NAME>, <lora:NAME:WEIGHT> or
// <lora:NAME:TE_WEIGHT:UNET_WEIGHT> (A1111's
// extra_networks.re_extra_net, "<(\w+):([^>]+)>", split on ':'). The tags are taken out of the
// text the text encoder reads; everything else stays as written.

#include <QString>

#include <vector>

namespace atelier::diffusion {

struct LoraTag {
    QString name;          // the file name without .safetensors, as in the LoRA folder
    double weight = 1.0;   // the text encoder's multiplier, and the UNet's unless a second is given
    double unetWeight = 1.0; // <lora:NAME:TE:UNET>'s third item; else = weight
    qsizetype start = 0;   // the tag in the prompt, in UTF-16 units (for the highlighter)
    qsizetype length = 0;
    bool valid = true;     // false: the weight is no number (the tag is still taken out)
};

struct PromptLoras {
    QString prompt;               // the prompt without its tags
    std::vector<LoraTag> loras;   // in the order written
};

PromptLoras extractLoraTags(const QString& prompt);

// "<lora:NAME:1>" for the picker.
QString loraTag(const QString& name, double weight = 1.0);

} // namespace atelier::diffusion
