{
  "targets": [
    {
      "target_name": "asterism",
      "sources": [
        "native/binding/addon.cpp",
        "native/binding/common.cpp",
        "native/binding/detect_binding.cpp",
        "native/binding/fits_binding.cpp",
        "native/binding/kdtree_binding.cpp",
        "native/binding/verify_binding.cpp",
        "native/detect/centroid.cpp",
        "native/detect/detect.cpp",
        "native/detect/flatten.cpp",
        "native/detect/kernels.cpp",
        "native/detect/noise.cpp",
        "native/detect/peaks.cpp",
        "native/detect/smooth.cpp",
        "native/fits/fits.cpp",
        "native/kdtree/kdtree.cpp",
        "native/verify/verify.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14", "-O2", "-O0"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-O3", "-mtune=generic", "-ffp-contract=off", "-fno-trapping-math"],
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-march=x86-64-v2"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off", "-fno-trapping-math"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++20", "/O2", "/fp:precise"] } }
        }]
      ]
    }
  ]
}
