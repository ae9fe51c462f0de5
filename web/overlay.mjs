// Draws an image with a DetectAnomalyResult's AnomalyMask blended over it.
// The mask PNG is the image's size with a white (#FFFFFF) background; its
// coloured pixels become a tint at the chosen opacity, the rest stays clear.

// The mask as a canvas whose background pixels are transparent, or null.
export async function maskLayer(result) {
  if (!result.AnomalyMask) return null;
  const bytes = Uint8Array.from(atob(result.AnomalyMask), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const layer = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = layer.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const d = pixels.data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255) d[i + 3] = 0;
  }
  context.putImageData(pixels, 0, 0);
  return layer;
}

// Draws `image` (a bitmap or canvas) on `canvas`, then `layer` at `opacity`.
export function drawOverlay(canvas, image, layer, opacity) {
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  const context = canvas.getContext('2d');
  context.globalAlpha = 1;
  context.drawImage(image, 0, 0);
  if (layer && opacity > 0) {
    context.globalAlpha = opacity;
    context.drawImage(layer, 0, 0, canvas.width, canvas.height);
    context.globalAlpha = 1;
  }
}

// The anomaly types found (background left out), for the list beside the image.
export function anomalyTypes(result) {
  return (result.Anomalies ?? []).filter((a) => a.Name !== 'background');
}
