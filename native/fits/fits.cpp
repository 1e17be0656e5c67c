#include "fits.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

// The TypeScript twin computes BZERO + BSCALE * x as a rounded multiply and a rounded add; a
// fused multiply-add would round once and the readers would disagree in the last bit. The
// builds (binding.gyp, CMakeLists.txt) compile with -ffp-contract=off for that reason.

namespace asterism::fits {

namespace {

constexpr uint64_t kBlock = 2880;
constexpr uint64_t kCard = 80;
constexpr int64_t kMaxAxes = 999;
// No real data unit is 2^62 bytes (4.6 EB) long. Refusing larger ones keeps every offset
// computed from a header inside 64 bits.
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 62;
// The pixel limit is clamped to 2^48: no typed array can hold more, and it keeps
// width * height * 8 exact in a uint64_t and in a JavaScript number.
constexpr int64_t kPixelCeiling = int64_t{1} << 48;
constexpr int64_t kMaxSide = std::numeric_limits<int32_t>::max();

std::string_view trimSpaces(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && s[a] == ' ') ++a;
  while (b > a && s[b - 1] == ' ') --b;
  return s.substr(a, b - a);
}

// Parses the value/comment field of a value card: a quoted string or free text, then an
// optional "/ comment".
void parseValueField(std::string_view field, FitsCard& card) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  if (i < field.size() && field[i] == '\'') {
    card.isString = true;
    std::string value;
    size_t j = i + 1;
    while (j < field.size()) {
      if (field[j] == '\'') {
        if (j + 1 < field.size() && field[j + 1] == '\'') {
          value += '\'';
          j += 2;
          continue;
        }
        ++j;
        break;
      }
      value += field[j++];
    }
    // Trailing spaces inside a FITS string are not significant; leading ones are.
    while (!value.empty() && value.back() == ' ') value.pop_back();
    card.value = std::move(value);
    const size_t slash = field.find('/', j);
    if (slash != std::string_view::npos) card.comment = trimSpaces(field.substr(slash + 1));
    return;
  }
  const size_t slash = field.find('/', i);
  if (slash == std::string_view::npos) {
    card.value = trimSpaces(field.substr(i));
  } else {
    card.value = trimSpaces(field.substr(i, slash - i));
    card.comment = trimSpaces(field.substr(slash + 1));
  }
}

// `text` holds 80 printable characters (the caller has rejected control bytes).
FitsCard parseCard(std::string_view text) {
  FitsCard card;
  card.keyword = trimSpaces(text.substr(0, 8));
  const bool commentary = card.keyword.empty() || card.keyword == "COMMENT" || card.keyword == "HISTORY";
  if (!commentary && text[8] == '=') {
    parseValueField(text.substr(9), card);
  } else if (card.keyword == "CONTINUE") {
    // Long-string continuation: a value without the "= " indicator.
    parseValueField(text.substr(8), card);
  } else {
    card.comment = trimSpaces(text.substr(8));
  }
  return card;
}

struct Header {
  std::vector<FitsCard> cards;
  uint64_t dataOffset = 0;  // absolute; may lie beyond the end of the file
};

// Reads cards from `start` up to END. Every loop step consumes 80 bytes of the input and there
// are at most kMaxHeaderCards steps.
FitsStatus readHeader(const uint8_t* data, uint64_t size, uint64_t start, int64_t hdu, Header& header,
                      std::string& message) {
  const uint64_t available = (size - start) / kCard;
  for (uint64_t i = 0;; ++i) {
    if (i >= static_cast<uint64_t>(kMaxHeaderCards)) {
      message = "FITS header of HDU " + std::to_string(hdu) + " has no END card within " +
                std::to_string(kMaxHeaderCards) + " cards";
      return FitsStatus::BadHeader;
    }
    if (i >= available) {
      message = "FITS file is truncated: the header of HDU " + std::to_string(hdu) +
                " ends after " + std::to_string(i) + " cards without an END card";
      return FitsStatus::Truncated;
    }
    const uint8_t* p = data + start + i * kCard;
    char text[kCard];
    for (uint64_t k = 0; k < kCard; ++k) {
      if (p[k] < 0x20) {
        // Headers are ASCII text; a control byte means we are reading binary data, so the
        // END card is missing (or the file is not FITS after all).
        message = "FITS header of HDU " + std::to_string(hdu) + ": card " + std::to_string(i + 1) +
                  " holds control bytes, not text (is the END card missing?)";
        return FitsStatus::BadHeader;
      }
      text[k] = p[k] > 0x7E ? '?' : static_cast<char>(p[k]);
    }
    const std::string_view card(text, kCard);
    if (trimSpaces(card.substr(0, 8)) == "END") {
      const uint64_t blocks = (i + 1 + kBlock / kCard - 1) / (kBlock / kCard);
      header.dataOffset = start + blocks * kBlock;
      return FitsStatus::Ok;
    }
    header.cards.push_back(parseCard(card));
  }
}

// Indices into Header::cards of the keywords the reader needs (first occurrence wins), found in
// one pass so that a header with 999 axes and thousands of cards stays linear.
struct KeyIndex {
  int xtension = -1, bitpix = -1, naxis = -1, pcount = -1, gcount = -1;
  int bzero = -1, bscale = -1, blank = -1, groups = -1, zimage = -1;
  std::vector<int> naxisN = std::vector<int>(kMaxAxes + 1, -1);
};

// "NAXIS1".."NAXIS999" without leading zeros -> 1..999; anything else -> 0.
int axisNumber(const std::string& keyword) {
  if (keyword.size() < 6 || keyword.size() > 8 || keyword.compare(0, 5, "NAXIS") != 0) return 0;
  if (keyword[5] == '0') return 0;
  int n = 0;
  for (size_t i = 5; i < keyword.size(); ++i) {
    if (keyword[i] < '0' || keyword[i] > '9') return 0;
    n = n * 10 + (keyword[i] - '0');
  }
  return n;
}

KeyIndex indexKeys(const std::vector<FitsCard>& cards) {
  KeyIndex k;
  auto first = [](int& slot, int i) {
    if (slot < 0) slot = i;
  };
  for (int i = 0; i < static_cast<int>(cards.size()); ++i) {
    const std::string& key = cards[i].keyword;
    if (key == "XTENSION") first(k.xtension, i);
    else if (key == "BITPIX") first(k.bitpix, i);
    else if (key == "NAXIS") first(k.naxis, i);
    else if (key == "PCOUNT") first(k.pcount, i);
    else if (key == "GCOUNT") first(k.gcount, i);
    else if (key == "BZERO") first(k.bzero, i);
    else if (key == "BSCALE") first(k.bscale, i);
    else if (key == "BLANK") first(k.blank, i);
    else if (key == "GROUPS") first(k.groups, i);
    else if (key == "ZIMAGE") first(k.zimage, i);
    else if (const int n = axisNumber(key); n > 0) first(k.naxisN[n], i);
  }
  return k;
}

bool isLogicalTrue(const std::vector<FitsCard>& cards, int index) {
  return index >= 0 && !cards[index].isString && cards[index].value == "T";
}

bool isStringValue(const std::vector<FitsCard>& cards, int index, std::string_view expected) {
  return index >= 0 && cards[index].isString && cards[index].value == expected;
}

std::string headerPrefix(int64_t hdu) { return "FITS header of HDU " + std::to_string(hdu); }

// Reads a mandatory (or present optional) integer keyword. Integers are [+-]digits and must fit
// in int64; strings, reals and empty values are refused.
FitsStatus integerValue(const std::vector<FitsCard>& cards, int index, const std::string& key,
                        int64_t hdu, int64_t& out, std::string& message) {
  if (index < 0) {
    message = headerPrefix(hdu) + " is missing the required keyword " + key;
    return FitsStatus::BadHeader;
  }
  const FitsCard& card = cards[index];
  const std::string& text = card.value;
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) i = 1;
  bool digits = i < text.size();
  for (size_t j = i; j < text.size(); ++j) digits = digits && text[j] >= '0' && text[j] <= '9';
  if (card.isString || !digits) {
    message = headerPrefix(hdu) + ": " + key + " = '" + text + "' is not an integer";
    return FitsStatus::BadHeader;
  }
  uint64_t magnitude = 0;
  for (size_t j = i; j < text.size(); ++j) {
    const uint64_t digit = static_cast<uint64_t>(text[j] - '0');
    if (magnitude > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - digit) / 10) {
      message = headerPrefix(hdu) + ": " + key + " = '" + text + "' is out of range";
      return FitsStatus::BadHeader;
    }
    magnitude = magnitude * 10 + digit;
  }
  out = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  return FitsStatus::Ok;
}

// Reads an optional real keyword: [+-](digits[.digits]|.digits)[(E|D)[+-]digits]. from_chars
// rounds correctly, as JavaScript's Number() does, so both readers get the same double.
FitsStatus realValue(const std::vector<FitsCard>& cards, int index, const std::string& key,
                     int64_t hdu, double& out, std::string& message) {
  const FitsCard& card = cards[index];
  const std::string& text = card.value;
  const size_t sign = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  size_t i = sign;
  size_t intDigits = 0, fracDigits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++intDigits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++fracDigits;
  }
  bool valid = intDigits + fracDigits > 0;
  // from_chars takes no '+' and no Fortran 'D' exponent.
  const size_t skip = sign == 1 && text[0] == '+' ? 1 : 0;
  std::string normal = text.substr(skip, i - skip);
  if (valid && i < text.size() && (text[i] == 'E' || text[i] == 'e' || text[i] == 'D' || text[i] == 'd')) {
    normal += 'e';
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) normal += text[i++];
    size_t expDigits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') normal += text[i++], ++expDigits;
    valid = expDigits > 0;
  }
  if (card.isString || !valid || i != text.size()) {
    message = headerPrefix(hdu) + ": " + key + " = '" + text + "' is not a number";
    return FitsStatus::BadHeader;
  }
  double v = 0;
  const auto result = std::from_chars(normal.data(), normal.data() + normal.size(), v);
  if (result.ec != std::errc() || !std::isfinite(v)) {
    message = headerPrefix(hdu) + ": " + key + " = '" + text + "' is out of range";
    return FitsStatus::BadHeader;
  }
  out = v;
  return FitsStatus::Ok;
}

struct Geometry {
  int64_t bitpix = 0;
  int64_t naxis = 0;
  std::vector<int64_t> axes;  // axes[0] = NAXIS1
  int64_t pcount = 0;
  int64_t gcount = 1;
};

FitsStatus readGeometry(const std::vector<FitsCard>& cards, const KeyIndex& k, int64_t hdu,
                        Geometry& g, std::string& message) {
  FitsStatus st = integerValue(cards, k.bitpix, "BITPIX", hdu, g.bitpix, message);
  if (st != FitsStatus::Ok) return st;
  if (g.bitpix != 8 && g.bitpix != 16 && g.bitpix != 32 && g.bitpix != 64 && g.bitpix != -32 &&
      g.bitpix != -64) {
    message = headerPrefix(hdu) + ": BITPIX = " + std::to_string(g.bitpix) +
              " is not one of 8, 16, 32, 64, -32, -64";
    return FitsStatus::BadHeader;
  }
  st = integerValue(cards, k.naxis, "NAXIS", hdu, g.naxis, message);
  if (st != FitsStatus::Ok) return st;
  if (g.naxis < 0 || g.naxis > kMaxAxes) {
    message = headerPrefix(hdu) + ": NAXIS = " + std::to_string(g.naxis) + " is outside 0..999";
    return FitsStatus::BadHeader;
  }
  for (int64_t n = 1; n <= g.naxis; ++n) {
    const std::string key = "NAXIS" + std::to_string(n);
    int64_t length = 0;
    st = integerValue(cards, k.naxisN[static_cast<size_t>(n)], key, hdu, length, message);
    if (st != FitsStatus::Ok) return st;
    if (length < 0) {
      message = headerPrefix(hdu) + ": " + key + " = " + std::to_string(length) + " is negative";
      return FitsStatus::BadHeader;
    }
    g.axes.push_back(length);
  }
  if (k.pcount >= 0) {
    st = integerValue(cards, k.pcount, "PCOUNT", hdu, g.pcount, message);
    if (st != FitsStatus::Ok) return st;
    if (g.pcount < 0) {
      message = headerPrefix(hdu) + ": PCOUNT = " + std::to_string(g.pcount) + " is negative";
      return FitsStatus::BadHeader;
    }
  }
  if (k.gcount >= 0) {
    st = integerValue(cards, k.gcount, "GCOUNT", hdu, g.gcount, message);
    if (st != FitsStatus::Ok) return st;
    if (g.gcount < 0) {
      message = headerPrefix(hdu) + ": GCOUNT = " + std::to_string(g.gcount) + " is negative";
      return FitsStatus::BadHeader;
    }
  }
  return FitsStatus::Ok;
}

// a * b, or false when the product exceeds kMaxDataBytes.
bool multiplyCapped(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > kMaxDataBytes / a) return false;
  out = a * b;
  return out <= kMaxDataBytes;
}

// Data bytes of an HDU, unpadded: |BITPIX|/8 * GCOUNT * (PCOUNT + NAXIS1 * ... * NAXISn), with
// NAXIS1 left out for random groups. False when the size exceeds kMaxDataBytes.
bool dataBytes(const Geometry& g, bool randomGroups, uint64_t& bytes) {
  const size_t first = randomGroups ? 1 : 0;
  uint64_t count = g.naxis == 0 ? 0 : 1;
  // A zero axis empties the data unit whatever the other axes say; test for it first so the
  // capped product below only ever grows.
  for (size_t i = first; i < g.axes.size(); ++i) {
    if (g.axes[i] == 0) count = 0;
  }
  if (count != 0) {
    for (size_t i = first; i < g.axes.size(); ++i) {
      if (!multiplyCapped(count, static_cast<uint64_t>(g.axes[i]), count)) return false;
    }
  }
  if (g.gcount == 0) {
    bytes = 0;
    return true;
  }
  uint64_t total = count + static_cast<uint64_t>(g.pcount);  // both < 2^63: no wrap
  if (total > kMaxDataBytes) return false;
  if (!multiplyCapped(total, static_cast<uint64_t>(g.gcount), total)) return false;
  return multiplyCapped(total, static_cast<uint64_t>(std::abs(g.bitpix) / 8), bytes);
}

int64_t readSigned(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  // Sign-extend from the top bit of the field (two's complement, big-endian).
  const int shift = 64 - 8 * bytes;
  return static_cast<int64_t>(v << shift) >> shift;
}

struct Scaling {
  double bzero = 0;
  double bscale = 1;
  bool hasBlank = false;
  int64_t blank = 0;
};

template <typename Out>
Out physical(double stored, const Scaling& s) {
  // Skipping the arithmetic for the common unscaled case keeps -0.0 and NaN payloads intact.
  if (s.bzero == 0 && s.bscale == 1) return static_cast<Out>(stored);
  return static_cast<Out>(s.bzero + s.bscale * stored);
}

void decodeIntegers(const uint8_t* src, size_t count, int bitpix, const Scaling& s, float* dst) {
  const int bytes = bitpix / 8;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < count; ++i) {
    const int64_t raw = bitpix == 8 ? static_cast<int64_t>(src[i]) : readSigned(src + i * bytes, bytes);
    // int64 -> double -> float, as the TypeScript twin does (BigInt -> Number -> Float32Array).
    dst[i] = s.hasBlank && raw == s.blank ? nan : physical<float>(static_cast<double>(raw), s);
  }
}

void decodeFloat32(const uint8_t* src, size_t count, const Scaling& s, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = src + i * 4;
    const uint32_t bits = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    float f;
    std::memcpy(&f, &bits, 4);
    dst[i] = (s.bzero == 0 && s.bscale == 1) ? f : physical<float>(static_cast<double>(f), s);
  }
}

void decodeFloat64(const uint8_t* src, size_t count, const Scaling& s, double* dst) {
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = src + i * 8;
    uint64_t bits = 0;
    for (int b = 0; b < 8; ++b) bits = (bits << 8) | p[b];
    double d;
    std::memcpy(&d, &bits, 8);
    dst[i] = physical<double>(d, s);
  }
}

FitsStatus readScaling(const std::vector<FitsCard>& cards, const KeyIndex& k, const Geometry& g,
                       int64_t hdu, Scaling& s, std::string& message) {
  if (k.bzero >= 0) {
    const FitsStatus st = realValue(cards, k.bzero, "BZERO", hdu, s.bzero, message);
    if (st != FitsStatus::Ok) return st;
  }
  if (k.bscale >= 0) {
    const FitsStatus st = realValue(cards, k.bscale, "BSCALE", hdu, s.bscale, message);
    if (st != FitsStatus::Ok) return st;
  }
  // BLANK only has a meaning for integer data; float images mark gaps with NaN.
  if (k.blank >= 0 && g.bitpix > 0) {
    const FitsStatus st = integerValue(cards, k.blank, "BLANK", hdu, s.blank, message);
    if (st != FitsStatus::Ok) return st;
    s.hasBlank = true;
  }
  return FitsStatus::Ok;
}

FitsStatus decodeImage(const uint8_t* data, uint64_t size, int64_t maxPixels, Header& header,
                       const KeyIndex& k, const Geometry& g, int64_t hdu, FitsImage& out,
                       std::string& message) {
  const int64_t width = g.axes[0];
  const int64_t height = g.axes[1];
  const int64_t limit = std::clamp<int64_t>(maxPixels, 0, kPixelCeiling);
  // width * height > limit, without forming the product (both may be near 2^63).
  if (width > limit / height) {
    message = "FITS image in HDU " + std::to_string(hdu) + " is " + std::to_string(width) + "x" +
              std::to_string(height) + " pixels, more than the limit of " + std::to_string(limit);
    return FitsStatus::TooLarge;
  }
  if (width > kMaxSide || height > kMaxSide) {
    message = "FITS image in HDU " + std::to_string(hdu) + " is " + std::to_string(width) + "x" +
              std::to_string(height) + " pixels; each side must be at most " + std::to_string(kMaxSide);
    return FitsStatus::TooLarge;
  }
  Scaling scaling;
  const FitsStatus st = readScaling(header.cards, k, g, hdu, scaling, message);
  if (st != FitsStatus::Ok) return st;
  const uint64_t count = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  const uint64_t bytesPerPixel = static_cast<uint64_t>(std::abs(g.bitpix) / 8);
  const uint64_t need = count * bytesPerPixel;  // <= 2^51
  const uint64_t present = header.dataOffset < size ? size - header.dataOffset : 0;
  // Only the first plane is read, so only it has to be present; a cube cut short after its
  // first plane still decodes.
  if (need > present) {
    message = "FITS file is truncated: the image in HDU " + std::to_string(hdu) + " needs " +
              std::to_string(need) + " bytes of data, only " + std::to_string(present) +
              " are present";
    return FitsStatus::Truncated;
  }
  const uint8_t* src = data + header.dataOffset;
  const size_t n = static_cast<size_t>(count);
  if (g.bitpix == -64) {
    out.pixels64.resize(n);
    decodeFloat64(src, n, scaling, out.pixels64.data());
  } else {
    out.pixels32.resize(n);
    if (g.bitpix == -32) decodeFloat32(src, n, scaling, out.pixels32.data());
    else decodeIntegers(src, n, static_cast<int>(g.bitpix), scaling, out.pixels32.data());
  }
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.bitpix = static_cast<int>(g.bitpix);
  out.hdu = static_cast<int>(hdu);
  out.cards = std::move(header.cards);
  return FitsStatus::Ok;
}

}  // namespace

FitsStatus readFitsImage(const uint8_t* data, size_t size, int64_t maxPixels, FitsImage& out,
                         std::string& message) {
  out = FitsImage{};
  if (data == nullptr || size < 9 || std::memcmp(data, "SIMPLE  =", 9) != 0) {
    message = "not a FITS file: it does not start with SIMPLE  =";
    return FitsStatus::NotFits;
  }
  if (size >= kCard) {
    // The same byte mapping as readHeader, so both readers quote the same text back.
    char text[kCard];
    for (uint64_t k = 0; k < kCard; ++k) text[k] = data[k] > 0x7E ? '?' : static_cast<char>(data[k]);
    const FitsCard simple = parseCard(std::string_view(text, kCard));
    if (simple.isString || simple.value != "T") {
      message = "not a standard FITS file: SIMPLE = '" + simple.value + "' (expected T)";
      return FitsStatus::NotFits;
    }
  }
  const uint64_t total = size;
  uint64_t offset = 0;
  bool sawCompressed = false;
  // Each pass consumes at least one 2880-byte header block, so the loop ends with the input.
  for (int64_t hdu = 0;; ++hdu) {
    if (hdu > 0) {
      // Bytes after the last HDU that do not start an extension are ignored, as the standard
      // allows for "special records".
      if (offset >= total || total - offset < 8 || std::memcmp(data + offset, "XTENSION", 8) != 0) break;
    }
    Header header;
    FitsStatus st = readHeader(data, total, offset, hdu, header, message);
    if (st != FitsStatus::Ok) return st;
    const KeyIndex keys = indexKeys(header.cards);
    Geometry g;
    st = readGeometry(header.cards, keys, hdu, g, message);
    if (st != FitsStatus::Ok) return st;
    const bool imageHdu = hdu == 0 || isStringValue(header.cards, keys.xtension, "IMAGE");
    bool nonZeroAxes = g.naxis >= 2;
    for (const int64_t length : g.axes) nonZeroAxes = nonZeroAxes && length > 0;
    if (imageHdu && nonZeroAxes) {
      return decodeImage(data, total, maxPixels, header, keys, g, hdu, out, message);
    }
    if (isStringValue(header.cards, keys.xtension, "BINTABLE") && isLogicalTrue(header.cards, keys.zimage)) {
      sawCompressed = true;
    }
    const bool randomGroups = hdu == 0 && g.naxis >= 2 && g.axes[0] == 0 && isLogicalTrue(header.cards, keys.groups);
    uint64_t bytes = 0;
    if (!dataBytes(g, randomGroups, bytes)) {
      message = headerPrefix(hdu) + " declares more than " + std::to_string(kMaxDataBytes) + " bytes of data";
      return FitsStatus::BadHeader;
    }
    const uint64_t present = header.dataOffset < total ? total - header.dataOffset : 0;
    if (bytes > present) {
      message = "FITS file is truncated: HDU " + std::to_string(hdu) + " declares " + std::to_string(bytes) +
                " bytes of data, only " + std::to_string(present) + " are present";
      return FitsStatus::Truncated;
    }
    offset = header.dataOffset + (bytes + kBlock - 1) / kBlock * kBlock;
  }
  message = sawCompressed
                ? "compressed FITS (fpack, tile-compressed BINTABLE) is not supported; funpack it first"
                : "FITS file has no image: no HDU has NAXIS >= 2 with non-zero axes";
  return FitsStatus::NoImage;
}

}  // namespace asterism::fits
