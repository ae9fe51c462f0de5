// The page's project rules (web/dataset.mjs) in Node: folder names label
// images, manifests find their images and masks among the dropped files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildProject, labelFromPath, resolveRef, roleFromPath, statsOf } from '../../web/dataset.mjs';

const file = (path, text = '') => ({ path, file: { name: path.split('/').pop(), text: async () => text } });

describe('web/dataset.mjs', () => {
  test('normal/ and anomaly/ folders label images; test/ makes the test dataset', async () => {
    assert.equal(labelFromPath('parts/normal/a.jpg'), 'normal');
    assert.equal(labelFromPath('parts/Anomaly/b.PNG'), 'anomaly');
    assert.equal(labelFromPath('parts/c.png'), null);
    assert.equal(labelFromPath('normal.png'), null, 'a file name is not a folder');
    assert.equal(roleFromPath('parts/test/anomaly/d.png'), 'test');
    assert.equal(roleFromPath('parts/train/normal/e.png'), 'train');
    const project = await buildProject([file('parts/normal/a.jpg'), file('parts/anomaly/b.png'), file('parts/c.png'),
                                        file('parts/test/normal/d.jpg'), file('parts/notes.txt')], () => []);
    assert.equal(project.source, 'folders');
    assert.deepEqual(project.train.map((i) => [i.sourceRef, i.label]),
                     [['normal/a.jpg', 'normal'], ['anomaly/b.png', 'anomaly'], ['parts/c.png', null]]);
    assert.deepEqual(project.test.map((i) => i.sourceRef), ['test/normal/d.jpg']);
    assert.deepEqual(statsOf(project.train), { normal: 1, anomaly: 1, unlabelled: 1, masks: 0, classes: {} });
  });

  test('manifest references resolve by path suffix, then by unique file name', () => {
    const files = [file('cookies/training-images/anomaly-1.jpg'), file('cookies/mask-images/anomaly-1.png'),
                   file('x/a.jpg'), file('y/a.jpg')];
    assert.equal(resolveRef('training-images/anomaly-1.jpg', files), files[0]);
    assert.equal(resolveRef('s3://bucket/cookies/mask-images/anomaly-1.png', files), files[1]);
    assert.equal(resolveRef('elsewhere/anomaly-1.png', files), files[1]);
    assert.equal(resolveRef('missing.jpg', files), null);
    assert.throws(() => resolveRef('z/a.jpg', files), /matches 2 files/);
  });

  test('a manifest takes its images and masks; problems name the manifest line', async () => {
    const entries = [
      { sourceRef: 'imgs/n.jpg', label: 'normal', maskRef: null, colorMap: {} },
      { sourceRef: 'imgs/a.jpg', label: 'anomaly', maskRef: 'masks/a.png', colorMap: { cracked: '#23A436' } },
      { sourceRef: 'imgs/gone.jpg', label: 'normal', maskRef: null, colorMap: {} },
    ];
    const project = await buildProject([file('d/train.manifest', 'ignored'), file('d/imgs/n.jpg'), file('d/imgs/a.jpg'),
                                        file('d/masks/a.png'), file('d/imgs/extra.jpg')], async () => entries);
    assert.equal(project.source, 'manifest');
    assert.deepEqual(project.train.map((i) => [i.path, i.label, i.mask?.name ?? null]),
                     [['d/imgs/n.jpg', 'normal', null], ['d/imgs/a.jpg', 'anomaly', 'a.png']]);
    assert.deepEqual(project.problems, ["d/train.manifest line 3: image 'imgs/gone.jpg' is not among the dropped files"]);
    assert.equal(project.ignored, 1);
    assert.deepEqual(statsOf(project.train).classes, { cracked: '#23A436' });
    const broken = await buildProject([file('test.manifest', 'x')], () => { throw new Error('manifest line 1: bad'); });
    assert.deepEqual(broken.problems, ['test.manifest: manifest line 1: bad']);
  });
});
