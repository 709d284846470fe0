//! A trained model on disk: a folder holding `model.npz` (one array per
//! parameter, by name, which `numpy.load` opens) and `model.json` (the
//! model's shape, the normalisation fitted on the training part, and
//! how it was trained).

use std::io;
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use npyz::WriterBuilder;
use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::data::{NormMode, Normalizer};
use crate::engine::Params;
use crate::model::{UNet, UNetConfig};
use crate::train::TrainConfig;
use crate::{Error, Result};

/// The format tag written into `model.json`.
pub const FORMAT: &str = "lamina-model-1";

/// Everything about a saved model except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub model: UNetConfig,
    pub normalizer: Normalizer,
    pub train: TrainConfig,
    pub epochs_done: usize,
    /// The random train/test split of training, when it was random
    /// (so `evaluate` can score the same held-out profiles).
    #[serde(default)]
    pub random_split: Option<RandomSplit>,
}

/// A random split: the share of profiles held out and its seed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomSplit {
    pub test_fraction: f64,
    pub seed: u64,
}

/// Writes `model.npz` and `model.json` into `dir` (created if needed).
///
/// # Errors
///
/// [`Error::Io`] if the folder cannot be created or a file written; a
/// file already there is replaced only by a complete new one.
pub fn save(
    dir: &Path,
    net: &UNet,
    params: &Params<f32>,
    card: &ModelCard,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    assert_eq!(card.model, net.config, "card and network disagree");

    write_atomic(&dir.join("model.npz"), |out| {
        let mut npz = npyz::npz::NpzWriter::new(out);
        for id in params.ids() {
            let value = params.get(id);
            let shape: Vec<u64> =
                value.shape().iter().map(|&d| d as u64).collect();
            let options = zip::write::FileOptions::default();
            let mut w = npz
                .array::<f32>(params.name(id), options)?
                .default_dtype()
                .shape(&shape)
                .begin_nd()?;
            w.extend(value.iter().copied())?;
            w.finish()?;
        }
        npz.zip_writer().finish().map_err(io::Error::other)?;
        Ok(())
    })?;

    let json = serde_json::to_string_pretty(card).expect("card serialises");
    write_atomic(&dir.join("model.json"), |out| {
        io::Write::write_all(out, json.as_bytes())
    })
}

/// Reads a model saved by [`save`].
///
/// # Errors
///
/// [`Error::Io`] if a file is missing; [`Error::Format`] if `model.json`
/// is not a lamina model card or its normalisation is unusable, or
/// `model.npz` lacks a parameter or holds one of the wrong shape or with
/// a value that is not finite.
pub fn load(dir: &Path) -> Result<(UNet, Params<f32>, ModelCard)> {
    let card_path = dir.join("model.json");
    let text = std::fs::read_to_string(&card_path)
        .map_err(|e| Error::io(&card_path, e))?;
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| {
        Error::Format { path: card_path.clone(), reason: e.to_string() }
    })?;
    if card.format != FORMAT {
        let reason = format!("format '{}', expected '{FORMAT}'", card.format);
        return Err(Error::Format { path: card_path, reason });
    }
    let norm = &card.normalizer;
    let usable =
        norm.mean.is_finite() && norm.std.is_finite() && norm.std > 0.0;
    if norm.mode != NormMode::None && !usable {
        let reason = format!(
            "normalizer mean {} and std {} must be finite, std positive",
            norm.mean, norm.std
        );
        return Err(Error::Format { path: card_path, reason });
    }
    let (net, mut params) = UNet::init::<f32>(card.model.clone(), 0)?;

    let npz_path = dir.join("model.npz");
    let bad = |reason: String| Error::Format { path: npz_path.clone(), reason };
    let mut npz = npyz::npz::NpzArchive::open(&npz_path)
        .map_err(|e| Error::io(&npz_path, e))?;
    for id in params.ids() {
        let name = params.name(id).to_string();
        let want = params.get(id).shape().to_vec();
        let file = npz
            .by_name(&name)
            .map_err(|e| bad(format!("array {name}: {e}")))?
            .ok_or_else(|| bad(format!("no array named {name}")))?;
        let shape: Vec<usize> =
            file.shape().iter().map(|&d| d as usize).collect();
        if shape != want {
            return Err(bad(format!(
                "array {name} has shape {shape:?}, expected {want:?}"
            )));
        }
        let values: Vec<f32> =
            file.into_vec().map_err(|e| bad(format!("array {name}: {e}")))?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            let v = values[i];
            return Err(bad(format!("array {name}, element {i} is {v}")));
        }
        *params.get_mut(id) = ArrayD::from_shape_vec(IxDyn(&want), values)
            .expect("shape checked");
    }
    Ok((net, params, card))
}
