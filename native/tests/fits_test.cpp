// asterism::fits::readFitsImage on small FITS files built here, card by card.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "fits/fits.h"
#include "harness.h"

namespace {

using asterism::fits::FitsImage;
using asterism::fits::FitsStatus;
using asterism::fits::readFitsImage;
using Bytes = std::vector<uint8_t>;

constexpr size_t kBlock = 2880;

// Appends one 80-character card: "KEYWORD = value" or a raw card when value is empty.
void card(Bytes& out, const std::string& keyword, const std::string& value = "") {
  std::string text = keyword;
  text.resize(8, ' ');
  if (!value.empty()) text += "= " + value;
  text.resize(80, ' ');
  out.insert(out.end(), text.begin(), text.end());
}

void endHeader(Bytes& out) {
  card(out, "END");
  out.resize((out.size() + kBlock - 1) / kBlock * kBlock, ' ');
}

// Appends `bytes` bytes of v, most significant first.
void bigEndian(Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void padData(Bytes& out) { out.resize((out.size() + kBlock - 1) / kBlock * kBlock, 0); }

// A primary-HDU image header; `extra` cards go before END.
Bytes imageHeader(int bitpix, int width, int height,
                  const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  Bytes out;
  card(out, "SIMPLE", "T");
  card(out, "BITPIX", std::to_string(bitpix));
  card(out, "NAXIS", "2");
  card(out, "NAXIS1", std::to_string(width));
  card(out, "NAXIS2", std::to_string(height));
  for (const auto& [k, v] : extra) card(out, k, v);
  endHeader(out);
  return out;
}

struct Read {
  FitsStatus status;
  FitsImage image;
  std::string message;
};

Read read(const Bytes& file, int64_t maxPixels = 1 << 20) {
  Read r;
  // An exact-size heap copy, so a sanitizer build catches reads past the end.
  std::vector<uint8_t> copy(file);
  r.status = readFitsImage(copy.data(), copy.size(), maxPixels, r.image, r.message);
  return r;
}

}  // namespace

TEST(fits_bitpix_8_unsigned_bytes) {
  Bytes f = imageHeader(8, 4, 3);
  for (int i = 0; i < 12; ++i) bigEndian(f, static_cast<uint64_t>(i * 23), 1);
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.width, 4);
  CHECK_EQ(r.image.height, 3);
  CHECK_EQ(r.image.bitpix, 8);
  CHECK_EQ(r.image.hdu, 0);
  CHECK_EQ(r.image.pixels32.size(), size_t{12});
  CHECK(r.image.pixels64.empty());
  for (int i = 0; i < 12 && i < static_cast<int>(r.image.pixels32.size()); ++i) {
    CHECK_EQ(r.image.pixels32[i], static_cast<float>(i * 23));
  }
}

TEST(fits_bitpix_16_signed_and_unsigned_convention) {
  const int16_t values[] = {-32768, -1, 0, 1, 32767, 1234};
  Bytes plain = imageHeader(16, 3, 2);
  for (int16_t v : values) bigEndian(plain, static_cast<uint16_t>(v), 2);
  padData(plain);
  const Read r = read(plain);
  CHECK(r.status == FitsStatus::Ok);
  for (int i = 0; i < 6 && i < static_cast<int>(r.image.pixels32.size()); ++i) {
    CHECK_EQ(r.image.pixels32[i], static_cast<float>(values[i]));
  }
  // Unsigned 16-bit data are stored as signed with BZERO = 32768.
  Bytes unsignedFile = imageHeader(16, 3, 2, {{"BZERO", "32768"}, {"BSCALE", "1"}});
  for (int16_t v : values) bigEndian(unsignedFile, static_cast<uint16_t>(v), 2);
  padData(unsignedFile);
  const Read u = read(unsignedFile);
  CHECK(u.status == FitsStatus::Ok);
  for (int i = 0; i < 6 && i < static_cast<int>(u.image.pixels32.size()); ++i) {
    CHECK_EQ(u.image.pixels32[i], static_cast<float>(values[i] + 32768));
  }
}

TEST(fits_bitpix_32_with_bscale_and_bzero) {
  const int32_t values[] = {-2147483647 - 1, -100, 0, 7, 100000, 2147483647};
  Bytes f = imageHeader(32, 2, 3, {{"BSCALE", "0.5"}, {"BZERO", "1.0D1"}});
  for (int32_t v : values) bigEndian(f, static_cast<uint32_t>(v), 4);
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  for (int i = 0; i < 6 && i < static_cast<int>(r.image.pixels32.size()); ++i) {
    CHECK_EQ(r.image.pixels32[i], static_cast<float>(10 + 0.5 * values[i]));
  }
}

TEST(fits_bitpix_64_integers) {
  const int64_t values[] = {std::numeric_limits<int64_t>::min(), -1, 0, 1LL << 40};
  Bytes f = imageHeader(64, 2, 2);
  for (int64_t v : values) bigEndian(f, static_cast<uint64_t>(v), 8);
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.pixels32.size(), size_t{4});
  for (int i = 0; i < 4 && i < static_cast<int>(r.image.pixels32.size()); ++i) {
    CHECK_EQ(r.image.pixels32[i], static_cast<float>(values[i]));
  }
}

TEST(fits_bitpix_minus_32_floats_keep_nan) {
  const float values[] = {1.5f, -2.25f, 0.0f, 3.4e38f, std::numeric_limits<float>::quiet_NaN(),
                          -1e-30f};
  Bytes f = imageHeader(-32, 3, 2);
  for (float v : values) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bigEndian(f, bits, 4);
  }
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.bitpix, -32);
  for (int i = 0; i < 6 && i < static_cast<int>(r.image.pixels32.size()); ++i) {
    if (std::isnan(values[i])) {
      CHECK(std::isnan(r.image.pixels32[i]));
    } else {
      CHECK_EQ(r.image.pixels32[i], values[i]);
    }
  }
}

TEST(fits_bitpix_minus_64_doubles_stay_double) {
  const double values[] = {1.0 / 3.0, -1e300, 6.02214076e23, 0.0};
  Bytes f = imageHeader(-64, 4, 1);
  for (double v : values) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    bigEndian(f, bits, 8);
  }
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK(r.image.pixels32.empty());
  CHECK_EQ(r.image.pixels64.size(), size_t{4});
  for (int i = 0; i < 4 && i < static_cast<int>(r.image.pixels64.size()); ++i) {
    CHECK_EQ(r.image.pixels64[i], values[i]);
  }
}

TEST(fits_blank_becomes_nan_before_scaling) {
  Bytes f = imageHeader(16, 2, 2, {{"BLANK", "-32768"}, {"BZERO", "100"}, {"BSCALE", "2"}});
  for (int16_t v : {int16_t{-32768}, int16_t{5}, int16_t{-32768}, int16_t{0}}) {
    bigEndian(f, static_cast<uint16_t>(v), 2);
  }
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.pixels32.size(), size_t{4});
  if (r.image.pixels32.size() == 4) {
    CHECK(std::isnan(r.image.pixels32[0]));
    CHECK_EQ(r.image.pixels32[1], 110.0f);
    CHECK(std::isnan(r.image.pixels32[2]));
    CHECK_EQ(r.image.pixels32[3], 100.0f);
  }
  Bytes bytes = imageHeader(8, 3, 1, {{"BLANK", "255"}});
  for (int v : {255, 0, 254}) bigEndian(bytes, static_cast<uint64_t>(v), 1);
  padData(bytes);
  const Read b = read(bytes);
  CHECK(b.status == FitsStatus::Ok);
  if (b.image.pixels32.size() == 3) {
    CHECK(std::isnan(b.image.pixels32[0]));
    CHECK_EQ(b.image.pixels32[2], 254.0f);
  }
}

TEST(fits_image_extension_after_empty_primary) {
  Bytes f;
  card(f, "SIMPLE", "T");
  card(f, "BITPIX", "8");
  card(f, "NAXIS", "0");
  card(f, "EXTEND", "T");
  endHeader(f);
  card(f, "XTENSION", "'BINTABLE'");
  card(f, "BITPIX", "8");
  card(f, "NAXIS", "2");
  card(f, "NAXIS1", "4");
  card(f, "NAXIS2", "2");
  card(f, "PCOUNT", "0");
  card(f, "GCOUNT", "1");
  endHeader(f);
  for (int i = 0; i < 8; ++i) f.push_back(0xAB);
  padData(f);
  card(f, "XTENSION", "'IMAGE   '");
  card(f, "BITPIX", "16");
  card(f, "NAXIS", "2");
  card(f, "NAXIS1", "2");
  card(f, "NAXIS2", "2");
  card(f, "PCOUNT", "0");
  card(f, "GCOUNT", "1");
  card(f, "OBJECT", "'M 31 ''Andromeda'''  / the target");
  endHeader(f);
  for (int v : {1, 2, 3, 4}) bigEndian(f, static_cast<uint64_t>(v), 2);
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.hdu, 2);
  CHECK_EQ(r.image.width, 2);
  CHECK_EQ(r.image.pixels32.size(), size_t{4});
  if (r.image.pixels32.size() == 4) CHECK_EQ(r.image.pixels32[3], 4.0f);
  bool sawObject = false;
  for (const auto& c : r.image.cards) {
    if (c.keyword != "OBJECT") continue;
    sawObject = true;
    CHECK_EQ(c.value, std::string("M 31 'Andromeda'"));
    CHECK_EQ(c.comment, std::string("the target"));
  }
  CHECK(sawObject);
}

TEST(fits_cube_gives_first_plane) {
  Bytes f;
  card(f, "SIMPLE", "T");
  card(f, "BITPIX", "8");
  card(f, "NAXIS", "3");
  card(f, "NAXIS1", "2");
  card(f, "NAXIS2", "2");
  card(f, "NAXIS3", "3");
  endHeader(f);
  for (int i = 0; i < 12; ++i) f.push_back(static_cast<uint8_t>(i));
  padData(f);
  const Read r = read(f);
  CHECK(r.status == FitsStatus::Ok);
  CHECK_EQ(r.image.pixels32.size(), size_t{4});
  if (r.image.pixels32.size() == 4) CHECK_EQ(r.image.pixels32[3], 3.0f);
}

TEST(fits_no_image) {
  Bytes f;
  card(f, "SIMPLE", "T");
  card(f, "BITPIX", "8");
  card(f, "NAXIS", "0");
  endHeader(f);
  CHECK(read(f).status == FitsStatus::NoImage);
  Bytes line;
  card(line, "SIMPLE", "T");
  card(line, "BITPIX", "16");
  card(line, "NAXIS", "1");
  card(line, "NAXIS1", "10");
  endHeader(line);
  line.resize(line.size() + kBlock, 0);
  CHECK(read(line).status == FitsStatus::NoImage);
  Bytes zeroWidth = imageHeader(8, 0, 5);
  CHECK(read(zeroWidth).status == FitsStatus::NoImage);
}

TEST(fits_truncated) {
  Bytes full = imageHeader(16, 10, 10);
  for (int i = 0; i < 100; ++i) bigEndian(full, static_cast<uint64_t>(i), 2);
  // Unpadded but complete data are accepted: many writers forget the final padding.
  const Read unpadded = read(full);
  CHECK(unpadded.status == FitsStatus::Ok);
  Bytes shortData(full.begin(), full.end() - 1);
  const Read r = read(shortData);
  CHECK(r.status == FitsStatus::Truncated);
  CHECK(!r.message.empty());
  Bytes headerOnly(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(kBlock));
  CHECK(read(headerOnly).status == FitsStatus::Truncated);
  // No END card before the bytes run out.
  Bytes noEnd;
  card(noEnd, "SIMPLE", "T");
  card(noEnd, "BITPIX", "8");
  CHECK(read(noEnd).status == FitsStatus::Truncated);
  Bytes halfCard(full.begin(), full.begin() + 120);
  CHECK(read(halfCard).status == FitsStatus::Truncated);
}

TEST(fits_not_fits) {
  CHECK(read({}).status == FitsStatus::NotFits);
  const std::string png = "\x89PNG\r\n\x1a\n";
  Bytes p(png.begin(), png.end());
  p.resize(4000, 0);
  CHECK(read(p).status == FitsStatus::NotFits);
  Bytes f;
  card(f, "SIMPLE", "F");
  card(f, "BITPIX", "8");
  card(f, "NAXIS", "0");
  endHeader(f);
  CHECK(read(f).status == FitsStatus::NotFits);
  FitsImage image;
  std::string message;
  CHECK(readFitsImage(nullptr, 0, 100, image, message) == FitsStatus::NotFits);
  CHECK(!message.empty());
}

TEST(fits_bad_headers) {
  auto withData = [](Bytes f) {
    f.resize(f.size() + kBlock, 0);
    return f;
  };
  CHECK(read(withData(imageHeader(12, 2, 2))).status == FitsStatus::BadHeader);
  CHECK(read(withData(imageHeader(-16, 2, 2))).status == FitsStatus::BadHeader);
  CHECK(read(withData(imageHeader(8, -2, 2))).status == FitsStatus::BadHeader);
  Bytes notInteger;
  card(notInteger, "SIMPLE", "T");
  card(notInteger, "BITPIX", "8");
  card(notInteger, "NAXIS", "2");
  card(notInteger, "NAXIS1", "'abc'");
  card(notInteger, "NAXIS2", "2.5");
  endHeader(notInteger);
  CHECK(read(withData(notInteger)).status == FitsStatus::BadHeader);
  Bytes missing;
  card(missing, "SIMPLE", "T");
  card(missing, "BITPIX", "8");
  card(missing, "NAXIS", "2");
  card(missing, "NAXIS1", "2");
  endHeader(missing);
  CHECK(read(withData(missing)).status == FitsStatus::BadHeader);
  Bytes noBitpix;
  card(noBitpix, "SIMPLE", "T");
  card(noBitpix, "NAXIS", "0");
  endHeader(noBitpix);
  CHECK(read(noBitpix).status == FitsStatus::BadHeader);
  CHECK(read(withData(imageHeader(16, 2, 2, {{"BZERO", "'x'"}}))).status ==
        FitsStatus::BadHeader);
  CHECK(read(withData(imageHeader(16, 2, 2, {{"BSCALE", "1e999"}}))).status ==
        FitsStatus::BadHeader);
  CHECK(read(withData(imageHeader(16, 2, 2, {{"BLANK", "1.5"}}))).status ==
        FitsStatus::BadHeader);
  Bytes control = imageHeader(8, 2, 2);
  control[200] = '\t';
  CHECK(read(withData(control)).status == FitsStatus::BadHeader);
  Bytes naxis;
  card(naxis, "SIMPLE", "T");
  card(naxis, "BITPIX", "8");
  card(naxis, "NAXIS", "1000");
  endHeader(naxis);
  CHECK(read(naxis).status == FitsStatus::BadHeader);
  const Read huge = read(withData(imageHeader(8, 2000000000, 2000000000)));
  CHECK(huge.status == FitsStatus::TooLarge || huge.status == FitsStatus::BadHeader);
  CHECK(!huge.message.empty());
  Bytes overflow;
  card(overflow, "SIMPLE", "T");
  card(overflow, "BITPIX", "8");
  card(overflow, "NAXIS", "2");
  card(overflow, "NAXIS1", "99999999999999999999");
  card(overflow, "NAXIS2", "1");
  endHeader(overflow);
  CHECK(read(withData(overflow)).status == FitsStatus::BadHeader);
}

TEST(fits_pixel_limit_refuses_before_reading) {
  // Declares 1000 x 1000 pixels but carries none: the limit answers first.
  const Read r = read(imageHeader(16, 1000, 1000), 1000);
  CHECK(r.status == FitsStatus::TooLarge);
  CHECK(r.message.find("1000") != std::string::npos);
  Bytes exact = imageHeader(8, 10, 100);
  exact.resize(exact.size() + 1000, 1);
  CHECK(read(exact, 1000).status == FitsStatus::Ok);
}
