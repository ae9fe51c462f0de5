# Converts the pretrained MobileNetV2 from node_modules/nsfwjs into the core's
# weights file at build time. The weights are derived binaries: never committed.
find_program(NODE_EXECUTABLE NAMES node nodejs REQUIRED)

set(ANOMALENS_BACKBONE_SOURCE
    "${CMAKE_CURRENT_SOURCE_DIR}/node_modules/nsfwjs/dist/models/mobilenet_v2")
set(ANOMALENS_BACKBONE_FILE "${CMAKE_BINARY_DIR}/mobilenet_v2_block10.anwb"
    CACHE INTERNAL "Converted backbone weights")

if(NOT EXISTS "${ANOMALENS_BACKBONE_SOURCE}/model.min.js")
  message(FATAL_ERROR
    "nsfwjs is missing from node_modules: run `npm ci` in ${CMAKE_CURRENT_SOURCE_DIR} first "
    "(tools/setup does it).")
endif()

add_custom_command(
  OUTPUT "${ANOMALENS_BACKBONE_FILE}"
  COMMAND "${NODE_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tools/convert-backbone.mjs"
          --output "${ANOMALENS_BACKBONE_FILE}" --source "${ANOMALENS_BACKBONE_SOURCE}"
  DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/tools/convert-backbone.mjs"
          "${ANOMALENS_BACKBONE_SOURCE}/model.min.js"
          "${ANOMALENS_BACKBONE_SOURCE}/group1-shard1of1.min.js"
  COMMENT "Converting MobileNetV2 (nsfwjs) to ${ANOMALENS_BACKBONE_FILE}"
  VERBATIM)
add_custom_target(backbone_weights ALL DEPENDS "${ANOMALENS_BACKBONE_FILE}")

# The same truncated network as an ONNX model at 224x224, for the benchmark's
# peers (onnxruntime-node, onnxruntime-web; bench/run). Also a derived binary.
set(ANOMALENS_BACKBONE_ONNX "${CMAKE_BINARY_DIR}/mobilenet_v2_block10_224.onnx"
    CACHE INTERNAL "The backbone as ONNX, 1x3x224x224")
add_custom_command(
  OUTPUT "${ANOMALENS_BACKBONE_ONNX}"
  COMMAND "${NODE_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tools/backbone-onnx.mjs"
          --output "${ANOMALENS_BACKBONE_ONNX}" --height 224 --width 224 --source "${ANOMALENS_BACKBONE_SOURCE}"
  DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/tools/backbone-onnx.mjs"
          "${CMAKE_CURRENT_SOURCE_DIR}/tools/convert-backbone.mjs"
          "${ANOMALENS_BACKBONE_SOURCE}/model.min.js"
          "${ANOMALENS_BACKBONE_SOURCE}/group1-shard1of1.min.js"
  COMMENT "Exporting MobileNetV2 (nsfwjs) to ${ANOMALENS_BACKBONE_ONNX}"
  VERBATIM)
add_custom_target(backbone_onnx ALL DEPENDS "${ANOMALENS_BACKBONE_ONNX}")
