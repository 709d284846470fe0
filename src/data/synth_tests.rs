//! Tests of the synthetic generator: labels, calibration against the
//! table, warping, determinism and the files it writes.

use super::*;
use crate::data::testutil::TempDir;
use crate::data::{DataFiles, load, load_groups};
use ndarray::{ArrayD, ArrayView1, Ix2};

fn cfg(n: usize, seed: u64, noise: f32) -> SynthConfig {
    SynthConfig { n, length: 256, seed, noise }
}

fn classes(labels: &Labels) -> &ArrayD<i32> {
    let Labels::Classes(c) = labels else { panic!("synth gives classes") };
    c
}

fn seg2(ds: &Dataset) -> ndarray::Array2<i32> {
    classes(&ds.seg).clone().into_dimensionality::<Ix2>().unwrap()
}

/// Depth of the first sample of each layer, from a row of labels.
fn bounds_from_labels(row: ArrayView1<i32>) -> [f64; N_LAYERS + 1] {
    let len = row.len() as f64;
    let mut b = [0.0; N_LAYERS + 1];
    for (k, edge) in b.iter_mut().enumerate().take(N_LAYERS).skip(1) {
        let first = row.iter().position(|&l| l >= k as i32).unwrap();
        *edge = first as f64 / len;
    }
    b[N_LAYERS] = 1.0;
    b
}

#[test]
fn helpers_place_layers_and_warp() {
    let b = bounds(&[0.1, 0.1, 0.3, 0.1, 0.2, 0.2]);
    assert!((b[3] - 0.5).abs() < 1e-12);
    assert_eq!(layer_at(&b, 0.05), 0);
    assert_eq!(layer_at(&b, 0.5), 3);
    assert_eq!(layer_at(&b, 0.999), 5);
    let canon = bounds(&[0.2, 0.1, 0.2, 0.1, 0.2, 0.2]);
    assert!((warp(0.35, 2, &b, &canon) - 0.4).abs() < 1e-12);
    assert!((warp(b[4], 4, &b, &canon) - canon[4]).abs() < 1e-12);
    let p: [f32; 18] = std::array::from_fn(|j| j as f32);
    assert_eq!(mean_profile_at(&p, 0.0), 0.0);
    assert!((mean_profile_at(&p, 5.5 / 18.0) - 5.0).abs() < 1e-9);
    assert!((mean_profile_at(&p, 6.0 / 18.0) - 5.5).abs() < 1e-9);
    assert_eq!(mean_profile_at(&p, 1.0), 17.0);
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = generate(&cfg(40, 3, 0.05));
    assert_eq!(a, generate(&cfg(40, 3, 0.05)));
    assert_ne!(a.x, generate(&cfg(40, 4, 0.05)).x);
    assert_eq!((a.len(), a.profile_len()), (40, 256));
}

#[test]
fn labels_rise_with_depth_and_areas_are_balanced() {
    let ds = generate(&cfg(360, 1, 0.05));
    let seg = seg2(&ds);
    let mut all_six = 0;
    for row in seg.rows() {
        assert!(row.windows(2).into_iter().all(|w| w[0] <= w[1]));
        assert_eq!((row[0], row[255]), (0, 5));
        let mut seen = [false; N_LAYERS];
        row.iter().for_each(|&l| seen[l as usize] = true);
        all_six += usize::from(seen.iter().all(|&s| s));
    }
    assert!(all_six >= 360 * 95 / 100, "{all_six} of 360 have all layers");

    let mut counts = [0; 18];
    classes(&ds.cls).iter().for_each(|&a| counts[a as usize] += 1);
    assert_eq!(counts, [20; 18]);
    assert!(ds.x.iter().all(|&v| (35e3..65e3).contains(&v)));
}

#[test]
fn mean_layer_fractions_match_the_table() {
    let ds = generate(&cfg(2000, 11, 0.05));
    let seg = seg2(&ds);
    let mut sums = [[0.0f64; N_LAYERS]; 18];
    let mut counts = [0usize; 18];
    for (row, &area) in seg.rows().into_iter().zip(classes(&ds.cls)) {
        for &l in row {
            sums[area as usize][l as usize] += 1.0 / 256.0;
        }
        counts[area as usize] += 1;
    }
    for (a, stats) in AREAS.iter().enumerate() {
        for (k, &mean) in stats.frac_mean.iter().enumerate() {
            let got = sums[a][k] / counts[a] as f64;
            let want = f64::from(mean);
            assert!(
                (got - want).abs() < 0.02,
                "{} layer {k}: {got:.4} vs table {want:.4}",
                stats.name
            );
        }
    }
}

#[test]
fn area_mean_profiles_differ_like_the_table() {
    let ds = generate(&cfg(1800, 5, 0.05));
    let mut means = ndarray::Array2::<f64>::zeros((18, 256));
    for (row, &area) in ds.x.rows().into_iter().zip(classes(&ds.cls)) {
        let mut m = means.row_mut(area as usize);
        m.zip_mut_with(&row, |s, &v| *s += f64::from(v) / 100.0);
    }
    // Pericalcarine (0) is darker than rostral middle frontal (16) at
    // mid-depth by about 6,000 in the table.
    let gap = means[[16, 128]] - means[[0, 128]];
    assert!(gap > 4000.0, "gap {gap}");

    // Each generated mean is closest to its own area's table profile
    // (compared at the 18 native depths) for nearly every area.
    let native = |j: usize| ((j as f64 + 0.5) / 18.0 * 256.0) as usize;
    let dist = |a: usize, b: usize| -> f64 {
        (0..18)
            .map(|j| means[[a, native(j)]] - f64::from(AREAS[b].profile[j]))
            .map(|d| d * d)
            .sum()
    };
    let own_nearest =
        (0..18).filter(|&a| (0..18).all(|b| dist(a, a) <= dist(a, b))).count();
    assert!(own_nearest >= 16, "{own_nearest} of 18 areas");
}

#[test]
fn intensity_features_follow_each_profiles_boundaries() {
    // Without noise, pericalcarine's darkest point is the 13th native
    // sample, depth 12.5 / 18, which the warp moves with the layers.
    let ds = generate(&cfg(900, 2, 0.0));
    let seg = seg2(&ds);
    let mean_b = bounds(&AREAS[0].frac_mean.map(f64::from));
    let canon_min = 12.5 / 18.0;
    let k = layer_at(&mean_b, canon_min);
    let t = (canon_min - mean_b[k]) / (mean_b[k + 1] - mean_b[k]);

    let (mut n, mut fixed_far) = (0, 0);
    for (i, &area) in classes(&ds.cls).iter().enumerate() {
        if area != 0 {
            continue;
        }
        let row = ds.x.row(i);
        let argmin = (0..256).min_by(|&a, &b| row[a].total_cmp(&row[b]));
        let depth = (argmin.unwrap() as f64 + 0.5) / 256.0;
        let b = bounds_from_labels(seg.row(i));
        let predicted = b[k] + t * (b[k + 1] - b[k]);
        assert!((depth - predicted).abs() <= 2.5 / 256.0, "profile {i}");
        fixed_far += usize::from((depth - canon_min).abs() > 2.5 / 256.0);
        n += 1;
    }
    assert_eq!(n, 50);
    assert!(fixed_far > n / 2, "only {fixed_far} of {n} moved");
}

#[test]
fn written_dir_loads_back_with_hemispheres() {
    let dir = TempDir::new("synth-write");
    let ds = generate(&cfg(30, 9, 0.05));
    write_dir(&ds, &dir.join("synth")).unwrap();
    let files = DataFiles::in_dir(&dir.join("synth"));
    let back = load(&files, 6, 18).unwrap();
    assert_eq!(back, ds);
    let seg = npy::read(&files.y_seg, "Y_seg").unwrap();
    assert_eq!(seg.dtype(), "uint8");
    assert_eq!(npy::read(&files.x, "X").unwrap().shape(), &[30, 256, 1]);
    let hemi = load_groups(&dir.join("synth/hemi.npy"), 30).unwrap();
    assert_eq!(&hemi[..4], &[0, 1, 0, 1]);
}
