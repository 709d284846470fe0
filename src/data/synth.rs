//! The embedded default data: synthetic cortical profiles calibrated on
//! the per-area statistics of the BigBrain in [`AREAS`].
//!
//! Each profile draws its six layer thicknesses from its area's
//! distribution, labels every sample by the layer it falls in, and
//! warps the area's mean intensity profile so its features follow this
//! profile's layer boundaries. A per-profile gain and offset and white
//! noise come on top, in the raw grey-value scale of the real data.
//! Reading real data is [`load`](super::load)'s business.

use std::f64::consts::TAU;
use std::path::Path;

use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::areas::{AREAS, AreaStats, N_LAYERS};
use super::{Dataset, Labels, npy};
use crate::{Error, Result};

/// No layer is thinner than this fraction of the depth before the
/// fractions are renormalised to sum to 1.
const MIN_FRACTION: f64 = 0.02;

/// The largest per-profile gain and offset, as a fraction of the level.
const JITTER: f64 = 0.03;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthConfig {
    /// The number of profiles, spread evenly over the 18 areas.
    pub n: usize,
    /// Samples per profile, pial first.
    pub length: usize,
    /// Seeds the one generator all draws come from.
    pub seed: u64,
    /// White noise, as a fraction of the area's intensity range.
    pub noise: f32,
}

impl Default for SynthConfig {
    fn default() -> SynthConfig {
        SynthConfig { n: 3600, length: 256, seed: 0, noise: 0.05 }
    }
}

/// Generates `cfg.n` labelled profiles; the same config gives the same
/// data.
///
/// Areas are balanced: profile `i` gets area `i % 18` before the areas
/// are shuffled. Layer labels are 0..=5 (I..VI) and never decrease with
/// depth; sample `j` sits at depth `(j + 0.5) / length`.
///
/// # Panics
///
/// Panics if `cfg.length` is 0.
pub fn generate(cfg: &SynthConfig) -> Dataset {
    assert!(cfg.length > 0, "a profile needs at least one sample");
    let (n, len) = (cfg.n, cfg.length);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut areas: Vec<usize> = (0..n).map(|i| i % AREAS.len()).collect();
    areas.shuffle(&mut rng);

    let mut x = Array2::<f32>::zeros((n, len));
    let mut seg = Array2::<i32>::zeros((n, len));
    for (i, &area) in areas.iter().enumerate() {
        let stats = &AREAS[area];
        let mean_bounds = bounds(&stats.frac_mean.map(f64::from));
        let own = bounds(&sample_fractions(stats, &mut rng));

        // The area's mean profile, warped to this profile's layers.
        let mut clean = vec![0.0; len];
        for (j, value) in clean.iter_mut().enumerate() {
            let depth = (j as f64 + 0.5) / len as f64;
            let layer = layer_at(&own, depth);
            seg[[i, j]] = layer as i32;
            let canonical = warp(depth, layer, &own, &mean_bounds);
            *value = mean_profile_at(&stats.profile, canonical);
        }

        // Per-profile gain and offset, then white noise.
        let gain = 1.0 + JITTER * rng.random_range(-1.0..1.0);
        let offset =
            JITTER * level(&stats.profile) * rng.random_range(-1.0..1.0);
        let sigma = f64::from(cfg.noise) * spread(&stats.profile);
        for (v, &c) in x.row_mut(i).iter_mut().zip(&clean) {
            *v = (c * gain + offset + sigma * normal(&mut rng)) as f32;
        }
    }

    let cls = Array1::from_iter(areas.iter().map(|&a| a as i32));
    Dataset {
        x,
        seg: Labels::Classes(seg.into_dyn()),
        cls: Labels::Classes(cls.into_dyn()),
    }
}

/// Writes `ds` as `X.npy` (N, L, 1) float32, `Y_seg.npy` (N, L) uint8,
/// `Y_cls.npy` (N,) int64 and `hemi.npy` (N,) uint8 alternating 0, 1,
/// creating `dir` if needed. Probability labels are written as float32,
/// and class labels that do not fit uint8 (such as -1) as int32.
///
/// # Errors
///
/// [`Error::Io`] if the folder cannot be created or a file written.
pub fn write_dir(ds: &Dataset, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    npy::write(&dir.join("X.npy"), &ds.x.view().insert_axis(Axis(2)))?;

    let seg_path = dir.join("Y_seg.npy");
    match &ds.seg {
        Labels::Classes(c) if c.iter().all(|&k| (0..=255).contains(&k)) => {
            npy::write(&seg_path, &c.mapv(|k| k as u8))?
        }
        Labels::Classes(c) => npy::write(&seg_path, c)?,
        Labels::Probs(p) => npy::write(&seg_path, p)?,
    }
    let cls_path = dir.join("Y_cls.npy");
    match &ds.cls {
        Labels::Classes(c) => npy::write(&cls_path, &c.mapv(i64::from))?,
        Labels::Probs(p) => npy::write(&cls_path, p)?,
    }

    let hemi = Array1::from_iter((0..ds.len()).map(|i| (i % 2) as u8));
    npy::write(&dir.join("hemi.npy"), &hemi)?;
    log::info!("wrote {} profiles to {}", ds.len(), dir.display());
    Ok(())
}

/// One profile's layer fractions: Normal(mean, sd) per layer, at least
/// [`MIN_FRACTION`], renormalised to sum to 1.
fn sample_fractions(stats: &AreaStats, rng: &mut impl Rng) -> [f64; N_LAYERS] {
    let mut frac = [0.0; N_LAYERS];
    for (k, f) in frac.iter_mut().enumerate() {
        let (mean, sd) = (stats.frac_mean[k], stats.frac_sd[k]);
        let draw = f64::from(mean) + f64::from(sd) * normal(rng);
        *f = draw.max(MIN_FRACTION);
    }
    let sum: f64 = frac.iter().sum();
    frac.map(|f| f / sum)
}

/// Layer boundaries as depths: 0, the cumulative fractions, and 1.
fn bounds(frac: &[f64; N_LAYERS]) -> [f64; N_LAYERS + 1] {
    let sum: f64 = frac.iter().sum();
    let mut b = [0.0; N_LAYERS + 1];
    for k in 0..N_LAYERS {
        b[k + 1] = b[k] + frac[k] / sum;
    }
    b[N_LAYERS] = 1.0;
    b
}

/// The layer that holds `depth`: the number of inner boundaries at or
/// above it.
fn layer_at(b: &[f64; N_LAYERS + 1], depth: f64) -> usize {
    b[1..N_LAYERS].iter().filter(|&&edge| depth >= edge).count()
}

/// Maps `depth` in `layer` of boundaries `own` to the same relative
/// position in that layer of boundaries `canon`.
fn warp(depth: f64, layer: usize, own: &[f64], canon: &[f64]) -> f64 {
    let t = (depth - own[layer]) / (own[layer + 1] - own[layer]);
    canon[layer] + t * (canon[layer + 1] - canon[layer])
}

/// The 18-sample mean profile, sample `j` placed at depth `(j + 0.5) /
/// 18`, linearly interpolated at `depth` and held flat past the ends.
fn mean_profile_at(profile: &[f32; 18], depth: f64) -> f64 {
    let pos = depth * 18.0 - 0.5;
    if pos <= 0.0 {
        return f64::from(profile[0]);
    }
    if pos >= 17.0 {
        return f64::from(profile[17]);
    }
    let j = pos.floor() as usize;
    let w = pos - j as f64;
    f64::from(profile[j]) * (1.0 - w) + f64::from(profile[j + 1]) * w
}

/// The mean grey value of an area's mean profile.
fn level(profile: &[f32; 18]) -> f64 {
    profile.iter().map(|&v| f64::from(v)).sum::<f64>() / 18.0
}

/// The range of an area's mean profile, the scale of its features.
fn spread(profile: &[f32; 18]) -> f64 {
    let max = profile.iter().fold(f32::MIN, |m, &v| m.max(v));
    let min = profile.iter().fold(f32::MAX, |m, &v| m.min(v));
    f64::from(max - min)
}

/// A standard normal draw by the Box-Muller transform.
fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1], so ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

#[cfg(test)]
#[path = "synth_tests.rs"]
mod tests;
