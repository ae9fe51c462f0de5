// A project from the files a user dropped or chose: Lookout manifests with
// their images and masks, or folders whose names label the images (normal/,
// anomaly/; a test/ folder holds the test dataset), as Lookout's console did.
// Pure functions over { file, path } records, so Node can test them too.

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg'];

const extensionOf = (path) => (path.split('.').pop() || '').toLowerCase();
const segmentsOf = (path) => path.toLowerCase().split('/').filter(Boolean);
export const isImagePath = (path) => IMAGE_EXTENSIONS.includes(extensionOf(path));
export const isManifestPath = (path) => extensionOf(path) === 'manifest';

// The label a folder name gives, or null.
export function labelFromPath(path) {
  const folders = segmentsOf(path).slice(0, -1);
  for (let i = folders.length - 1; i >= 0; --i) {
    if (folders[i] === 'normal') return 'normal';
    if (folders[i] === 'anomaly') return 'anomaly';
  }
  return null;
}

// 'test' when a folder on the path is test/, else 'train'.
export function roleFromPath(path) {
  return segmentsOf(path).slice(0, -1).includes('test') ? 'test' : 'train';
}

// A manifest named like test.manifest holds the test dataset.
export const manifestRole = (path) => (/test/i.test(path.split('/').pop()) ? 'test' : 'train');

// The dropped file a manifest reference names: the one whose path ends with
// the reference (s3://bucket/ stripped), else the one whose path ends with
// its last two parts, else the only one with its file name.
export function resolveRef(ref, files) {
  const key = ref.replace(/^s3:\/\/[^/]+\//, '').replace(/^\.?\//, '').toLowerCase();
  const parts = key.split('/');
  const candidates = [key, parts.slice(-2).join('/'), parts[parts.length - 1]];
  for (const suffix of candidates) {
    const found = files.filter(({ path }) => {
      const p = path.toLowerCase();
      return p === suffix || p.endsWith('/' + suffix);
    });
    if (found.length === 1) return found[0];
    if (found.length > 1 && suffix === candidates[candidates.length - 1]) {
      throw new Error(`'${ref}' matches ${found.length} files (${found.slice(0, 3).map((f) => f.path).join(', ')}); drop the folders it is in`);
    }
  }
  return null;
}

// The relative path a folder dataset names an image by (its dataset
// folder stripped), as `anomalens train --dataset` does: the automatic split
// hashes it.
function folderRef(path) {
  const parts = path.split('/');
  const at = parts.findIndex((p) => ['normal', 'anomaly', 'test', 'train'].includes(p.toLowerCase()));
  return parts.slice(Math.max(at, 0)).join('/');
}

/**
 * Builds { source, train, test, ignored, problems } from [{ file, path }]:
 * each image { file, path, sourceRef, label ('normal' | 'anomaly' | null),
 * mask (File or null), colorMap }. `parseManifest(text)` is the package's
 * (it may return a promise).
 */
export async function buildProject(records, parseManifest) {
  const manifests = records.filter((r) => isManifestPath(r.path));
  const images = records.filter((r) => isImagePath(r.path));
  const project = { source: manifests.length > 0 ? 'manifest' : 'folders', train: [], test: [], ignored: 0, problems: [] };
  if (manifests.length > 0) {
    const used = new Set();
    for (const manifest of manifests) {
      const role = manifestRole(manifest.path);
      let entries;
      try {
        entries = await parseManifest(await manifest.file.text());
      } catch (error) {
        project.problems.push(`${manifest.path}: ${error.message}`);
        continue;
      }
      entries.forEach((entry, i) => {
        const where = `${manifest.path} line ${i + 1}`;
        try {
          const image = resolveRef(entry.sourceRef, images);
          if (!image) throw new Error(`image '${entry.sourceRef}' is not among the dropped files`);
          let mask = null;
          if (entry.maskRef) {
            mask = resolveRef(entry.maskRef, images);
            if (!mask) throw new Error(`mask '${entry.maskRef}' is not among the dropped files`);
            used.add(mask);
          }
          used.add(image);
          project[role].push({ file: image.file, path: image.path, sourceRef: entry.sourceRef, label: entry.label,
                               mask: mask?.file ?? null, colorMap: entry.colorMap });
        } catch (error) {
          project.problems.push(`${where}: ${error.message}`);
        }
      });
    }
    project.ignored = images.filter((r) => !used.has(r)).length;
  } else {
    for (const image of images) {
      project[roleFromPath(image.path)].push({ file: image.file, path: image.path, sourceRef: folderRef(image.path),
                                               label: labelFromPath(image.path), mask: null, colorMap: {} });
    }
  }
  return project;
}

// Counts of one dataset: { normal, anomaly, unlabelled, masks, classes: { name: colour } }.
export function statsOf(dataset) {
  const stats = { normal: 0, anomaly: 0, unlabelled: 0, masks: 0, classes: {} };
  for (const image of dataset) {
    if (image.label === 'normal') ++stats.normal;
    else if (image.label === 'anomaly') ++stats.anomaly;
    else ++stats.unlabelled;
    if (image.mask) {
      ++stats.masks;
      Object.assign(stats.classes, image.colorMap);
    }
  }
  return stats;
}
