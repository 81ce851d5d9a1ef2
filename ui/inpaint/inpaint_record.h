#pragma once
// How a finished inpaint enters the Library: a record of kind Inpaint whose parent is the picture
// it was made from (when that one is in the gallery), with its mask written as a PNG beside the
// picture's file.

#include "core/result.h"
#include "create/image_engine.h"
#include "store/picture_store.h"

namespace atelier::ui {

// Names the picture's file, writes `maskPng` beside it and returns the record to add with the
// result's PNG (PictureStore::add). When adding fails, the caller removes the mask file.
Result<store::PictureRecord> inpaintRecord(const store::PictureStore& store, const ImageResult& result,
                                           const QByteArray& maskPng);

} // namespace atelier::ui
