#include "fits.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace asterism::fits {

namespace {

constexpr size_t kBlock = 2880;
constexpr size_t kCard = 80;
// A real header rarely exceeds a few hundred cards; this bound keeps a file of spaces from
// being scanned for ever.
constexpr size_t kMaxHeaderCards = 100000;
constexpr int kMaxHdus = 1000;

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && s[a] == ' ') ++a;
  while (b > a && s[b - 1] == ' ') --b;
  return s.substr(a, b - a);
}

FitsCard parseCard(const char* card) {
  FitsCard c;
  c.keyword = trim(std::string(card, 8));
  if (card[8] != '=' || card[9] != ' ') {
    c.comment = trim(std::string(card + 8, kCard - 8));
    return c;
  }
  const std::string rest(card + 10, kCard - 10);
  size_t i = 0;
  while (i < rest.size() && rest[i] == ' ') ++i;
  if (i < rest.size() && rest[i] == '\'') {
    std::string value;
    ++i;
    while (i < rest.size()) {
      if (rest[i] == '\'') {
        if (i + 1 < rest.size() && rest[i + 1] == '\'') {
          value += '\'';
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      value += rest[i++];
    }
    // Trailing spaces inside a FITS string are not significant.
    while (!value.empty() && value.back() == ' ') value.pop_back();
    c.value = value;
    const size_t slash = rest.find('/', i);
    if (slash != std::string::npos) c.comment = trim(rest.substr(slash + 1));
  } else {
    const size_t slash = rest.find('/', i);
    c.value = trim(rest.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash != std::string::npos) c.comment = trim(rest.substr(slash + 1));
  }
  return c;
}

struct Header {
  std::vector<FitsCard> cards;
  size_t dataOffset = 0;  // absolute
  const FitsCard* find(const char* key) const {
    for (const auto& c : cards) {
      if (c.keyword == key) return &c;
    }
    return nullptr;
  }
};

// Parses the header starting at `offset`. Returns Ok, Truncated (no END before the data ends) or
// BadHeader.
FitsStatus readHeader(const uint8_t* data, size_t size, size_t offset, Header& h,
                      std::string& message) {
  size_t pos = offset;
  for (size_t n = 0; n < kMaxHeaderCards; ++n) {
    if (pos + kCard > size) {
      message = "the FITS header ends before its END card (file truncated?)";
      return FitsStatus::Truncated;
    }
    const char* card = reinterpret_cast<const char*>(data + pos);
    pos += kCard;
    for (size_t k = 0; k < kCard; ++k) {
      const unsigned char ch = static_cast<unsigned char>(card[k]);
      if (ch < 32 || ch > 126) {
        message = "the FITS header contains a non-ASCII byte at offset " +
                  std::to_string(pos - kCard + k);
        return FitsStatus::BadHeader;
      }
    }
    if (std::strncmp(card, "END     ", 8) == 0) {
      const size_t headerBytes = pos - offset;
      h.dataOffset = offset + (headerBytes + kBlock - 1) / kBlock * kBlock;
      return FitsStatus::Ok;
    }
    h.cards.push_back(parseCard(card));
  }
  message = "the FITS header has no END card within " + std::to_string(kMaxHeaderCards) + " cards";
  return FitsStatus::BadHeader;
}

bool parseInteger(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 30) return false;
  size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  if (i == text.size()) return false;
  int64_t v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) return false;
    v = v * 10 + (text[i] - '0');
  }
  out = negative ? -v : v;
  return true;
}

bool parseReal(const std::string& text, double& out) {
  if (text.empty() || text.size() > 70) return false;
  std::string t = text;
  for (char& ch : t) {
    if (ch == 'D' || ch == 'd') ch = 'E';  // Fortran double exponent
  }
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end != nullptr && *end == '\0' && std::isfinite(out);
}

FitsStatus integerKey(const Header& h, const char* key, int64_t& out, std::string& message) {
  const FitsCard* c = h.find(key);
  if (c == nullptr) {
    message = std::string("the FITS header has no ") + key + " keyword";
    return FitsStatus::BadHeader;
  }
  if (!parseInteger(c->value, out)) {
    message = std::string("the FITS keyword ") + key + " is not an integer: '" + c->value + "'";
    return FitsStatus::BadHeader;
  }
  return FitsStatus::Ok;
}

struct Geometry {
  int64_t bitpix = 0;
  int64_t naxis = 0;
  std::vector<int64_t> axes;
  int64_t dataBytes = 0;  // padded size of this HDU's data
};

FitsStatus readGeometry(const Header& h, Geometry& g, std::string& message) {
  FitsStatus st = integerKey(h, "BITPIX", g.bitpix, message);
  if (st != FitsStatus::Ok) return st;
  if (g.bitpix != 8 && g.bitpix != 16 && g.bitpix != 32 && g.bitpix != 64 && g.bitpix != -32 &&
      g.bitpix != -64) {
    message = "unsupported FITS BITPIX " + std::to_string(g.bitpix) +
              " (expected 8, 16, 32, 64, -32 or -64)";
    return FitsStatus::BadHeader;
  }
  st = integerKey(h, "NAXIS", g.naxis, message);
  if (st != FitsStatus::Ok) return st;
  if (g.naxis < 0 || g.naxis > 999) {
    message = "FITS NAXIS must be between 0 and 999, not " + std::to_string(g.naxis);
    return FitsStatus::BadHeader;
  }
  // Sizes are multiplied in long double with a cap, so absurd axes are refused, not wrapped.
  long double count = g.naxis > 0 ? 1.0L : 0.0L;
  for (int64_t i = 1; i <= g.naxis; ++i) {
    const std::string key = "NAXIS" + std::to_string(i);
    int64_t n = 0;
    st = integerKey(h, key.c_str(), n, message);
    if (st != FitsStatus::Ok) return st;
    if (n < 0) {
      message = "FITS " + key + " is negative (" + std::to_string(n) + ")";
      return FitsStatus::BadHeader;
    }
    g.axes.push_back(n);
    count *= static_cast<long double>(n);
  }
  int64_t pcount = 0, gcount = 1;
  if (h.find("PCOUNT") != nullptr) {
    st = integerKey(h, "PCOUNT", pcount, message);
    if (st != FitsStatus::Ok) return st;
  }
  if (h.find("GCOUNT") != nullptr) {
    st = integerKey(h, "GCOUNT", gcount, message);
    if (st != FitsStatus::Ok) return st;
  }
  if (pcount < 0 || gcount < 0) {
    message = "FITS PCOUNT and GCOUNT must not be negative";
    return FitsStatus::BadHeader;
  }
  const long double bytes = static_cast<long double>(std::abs(g.bitpix) / 8) *
                            static_cast<long double>(gcount) *
                            (static_cast<long double>(pcount) + count);
  if (bytes > 1.0e18L) {
    message = "the FITS header declares an impossibly large data unit";
    return FitsStatus::BadHeader;
  }
  const int64_t raw = static_cast<int64_t>(bytes);
  g.dataBytes = (raw + static_cast<int64_t>(kBlock) - 1) / static_cast<int64_t>(kBlock) *
                static_cast<int64_t>(kBlock);
  return FitsStatus::Ok;
}

uint64_t readBigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

template <typename Out>
void convert(const uint8_t* src, int64_t count, int bitpix, double bzero, double bscale,
             bool hasBlank, int64_t blank, Out* dst) {
  const int bytes = std::abs(bitpix) / 8;
  const bool identity = bzero == 0 && bscale == 1;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* p = src + i * bytes;
    const uint64_t bits = readBigEndian(p, bytes);
    double v;
    switch (bitpix) {
      case 8: {
        const int64_t raw = static_cast<int64_t>(bits);
        if (hasBlank && raw == blank) { dst[i] = std::numeric_limits<Out>::quiet_NaN(); continue; }
        v = static_cast<double>(raw);
        break;
      }
      case 16: {
        const int64_t raw = static_cast<int16_t>(bits);
        if (hasBlank && raw == blank) { dst[i] = std::numeric_limits<Out>::quiet_NaN(); continue; }
        v = static_cast<double>(raw);
        break;
      }
      case 32: {
        const int64_t raw = static_cast<int32_t>(bits);
        if (hasBlank && raw == blank) { dst[i] = std::numeric_limits<Out>::quiet_NaN(); continue; }
        v = static_cast<double>(raw);
        break;
      }
      case 64: {
        const int64_t raw = static_cast<int64_t>(bits);
        if (hasBlank && raw == blank) { dst[i] = std::numeric_limits<Out>::quiet_NaN(); continue; }
        v = static_cast<double>(raw);
        break;
      }
      case -32: {
        float f;
        const uint32_t b32 = static_cast<uint32_t>(bits);
        std::memcpy(&f, &b32, 4);
        v = f;
        break;
      }
      default: {
        double d;
        std::memcpy(&d, &bits, 8);
        v = d;
        break;
      }
    }
    dst[i] = static_cast<Out>(identity ? v : bzero + bscale * v);
  }
}

}  // namespace

FitsStatus readFitsImage(const uint8_t* data, size_t size, int64_t maxPixels, FitsImage& out,
                         std::string& message) {
  out = FitsImage{};
  if (data == nullptr || size < kCard || std::memcmp(data, "SIMPLE  =", 9) != 0) {
    message = "not a FITS file (it does not start with SIMPLE  =)";
    return FitsStatus::NotFits;
  }
  size_t offset = 0;
  for (int hdu = 0; hdu < kMaxHdus && offset < size; ++hdu) {
    Header h;
    FitsStatus st = readHeader(data, size, offset, h, message);
    if (st != FitsStatus::Ok) return st;
    if (hdu == 0) {
      const FitsCard* simple = h.find("SIMPLE");
      if (simple == nullptr || simple->value != "T") {
        message = "not a standard FITS file (SIMPLE is not T)";
        return FitsStatus::NotFits;
      }
    }
    Geometry g;
    st = readGeometry(h, g, message);
    if (st != FitsStatus::Ok) return st;
    const FitsCard* xtension = h.find("XTENSION");
    const bool isImage = hdu == 0 || (xtension != nullptr && xtension->value == "IMAGE");
    if (isImage && g.naxis >= 2 && g.axes[0] > 0 && g.axes[1] > 0) {
      const int64_t width = g.axes[0], height = g.axes[1];
      if (width > std::numeric_limits<int>::max() || height > std::numeric_limits<int>::max() ||
          static_cast<long double>(width) * height > static_cast<long double>(maxPixels)) {
        message = "the FITS image is " + std::to_string(width) + " x " + std::to_string(height) +
                  " pixels, over the limit of " + std::to_string(maxPixels);
        return FitsStatus::TooLarge;
      }
      const int64_t count = width * height;
      const int bytes = static_cast<int>(std::abs(g.bitpix) / 8);
      const uint64_t need = static_cast<uint64_t>(count) * bytes;
      if (h.dataOffset > size || size - h.dataOffset < need) {
        message = "the FITS data is truncated: the header declares " + std::to_string(need) +
                  " bytes of pixels but only " +
                  std::to_string(h.dataOffset > size ? 0 : size - h.dataOffset) + " follow";
        return FitsStatus::Truncated;
      }
      double bzero = 0, bscale = 1;
      int64_t blank = 0;
      bool hasBlank = false;
      if (const FitsCard* c = h.find("BZERO"); c != nullptr && !parseReal(c->value, bzero)) {
        message = "the FITS keyword BZERO is not a number: '" + c->value + "'";
        return FitsStatus::BadHeader;
      }
      if (const FitsCard* c = h.find("BSCALE"); c != nullptr && !parseReal(c->value, bscale)) {
        message = "the FITS keyword BSCALE is not a number: '" + c->value + "'";
        return FitsStatus::BadHeader;
      }
      if (const FitsCard* c = h.find("BLANK"); c != nullptr && g.bitpix > 0) {
        if (!parseInteger(c->value, blank)) {
          message = "the FITS keyword BLANK is not an integer: '" + c->value + "'";
          return FitsStatus::BadHeader;
        }
        hasBlank = true;
      }
      out.width = static_cast<int>(width);
      out.height = static_cast<int>(height);
      out.bitpix = static_cast<int>(g.bitpix);
      out.hdu = hdu;
      const uint8_t* src = data + h.dataOffset;
      if (g.bitpix == -64) {
        out.pixels64.resize(static_cast<size_t>(count));
        convert(src, count, -64, bzero, bscale, false, 0, out.pixels64.data());
      } else {
        out.pixels32.resize(static_cast<size_t>(count));
        convert(src, count, out.bitpix, bzero, bscale, hasBlank, blank, out.pixels32.data());
      }
      out.cards = std::move(h.cards);
      return FitsStatus::Ok;
    }
    if (xtension != nullptr && xtension->value == "BINTABLE" && h.find("ZIMAGE") != nullptr) {
      message = "tile-compressed FITS (fpack) is not supported; decompress it with funpack first";
      return FitsStatus::NoImage;
    }
    if (h.dataOffset > size || static_cast<uint64_t>(g.dataBytes) > size - h.dataOffset) break;
    offset = h.dataOffset + static_cast<size_t>(g.dataBytes);
  }
  message = "the FITS file holds no image with two or more axes";
  return FitsStatus::NoImage;
}

}  // namespace asterism::fits
