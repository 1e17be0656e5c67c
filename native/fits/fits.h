// A dependency-free reader for the first image in a FITS file. No Node types: bytes and a size
// in, a status, a message and plain vectors out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace asterism::fits {

enum class FitsStatus { Ok, NotFits, Truncated, BadHeader, NoImage, TooLarge };

// value: raw text as in the card (strings unquoted, '' unescaped).
struct FitsCard {
  std::string keyword, value, comment;
};

struct FitsImage {
  int width = 0, height = 0, bitpix = 0, hdu = 0;
  std::vector<FitsCard> cards;
  std::vector<float> pixels32;
  std::vector<double> pixels64;
};

FitsStatus readFitsImage(const uint8_t* data, size_t size, int64_t maxPixels, FitsImage& out,
                         std::string& message);

}  // namespace asterism::fits
