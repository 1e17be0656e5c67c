// A dependency-free reader for the first image in a FITS file (FITS Standard 4.0, uncompressed
// images only). No Node types: bytes and a size in, a status, a message and plain vectors out.
//
// The input is untrusted. The reader never reads outside [data, data + size), does its size
// arithmetic in checked 64/128-bit integers, refuses an image whose pixel count exceeds
// `maxPixels` before allocating anything, and bounds every loop by the input size or by
// kMaxHeaderCards. The TypeScript twin in lib/image/fits.js.ts follows the same steps and
// produces the same statuses and messages: change both together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace asterism::fits {

enum class FitsStatus {
  Ok,
  // The bytes do not begin with a `SIMPLE  = T` card.
  NotFits,
  // The file ends before a header's END card or before the image data it declares.
  Truncated,
  // A header is malformed: a missing or non-numeric mandatory keyword, an impossible value, no END.
  BadHeader,
  // Valid FITS, but no HDU holds an uncompressed image with two or more non-zero axes.
  NoImage,
  // The image has more pixels than the caller's limit.
  TooLarge,
};

// Cards one header may hold before we stop looking for END: 1000 blocks of 36 cards (2.88 MB).
// The longest real headers we know of (HST/JWST products with long HISTORY) have a few thousand
// cards, so the bound only stops a file of text that is not a header from being scanned on.
inline constexpr int kMaxHeaderCards = 36000;

struct FitsCard {
  // Columns 1-8 without trailing spaces ("" for a blank keyword).
  std::string keyword;
  // Value text as written, trimmed; strings unquoted, '' unescaped, trailing spaces dropped.
  // Empty for commentary cards (COMMENT, HISTORY, blank keyword, or no "=" in column 9).
  std::string value;
  // Text after the '/' of a value card, or the text of a commentary card, trimmed.
  std::string comment;
  // True when the value was a quoted string. Without it the string '16' and the integer 16 look
  // the same, and mandatory integer keywords must not accept strings.
  bool isString = false;
};

struct FitsImage {
  int width = 0;
  int height = 0;
  int bitpix = 0;
  // Index of the HDU the image came from (0 = primary).
  int hdu = 0;
  // Cards of that HDU in file order, END excluded. Bytes above 0x7E are replaced by '?'.
  std::vector<FitsCard> cards;
  // Physical values (BZERO + BSCALE * stored) of the first plane, row-major in stored order,
  // NaN for BLANK. pixels64 is filled for BITPIX -64, pixels32 for every other BITPIX.
  std::vector<float> pixels32;
  std::vector<double> pixels64;
};

// Decodes the first plane of the first image HDU: the primary HDU when it has NAXIS >= 2 and
// non-zero axes, otherwise the first such IMAGE extension. On any status but Ok, `message` says
// what is wrong in words a user can act on and `out` is unspecified.
FitsStatus readFitsImage(const uint8_t* data, size_t size, int64_t maxPixels, FitsImage& out,
                         std::string& message);

}  // namespace asterism::fits
