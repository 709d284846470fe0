//! The shape of the U-Net, as a user sets it in a file or with flags.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How the decoder doubles the length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsample {
    /// Transposed convolution, kernel 2, stride 2 (learned).
    Transposed,
    /// Nearest-neighbour repetition (no weights; the following
    /// convolution reads `in + skip` channels).
    Nearest,
}

impl std::str::FromStr for Upsample {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "transposed" => Ok(Upsample::Transposed),
            "nearest" => Ok(Upsample::Nearest),
            _ => Err(Error::Config(format!(
                "upsampling '{s}' is not 'transposed' or 'nearest'"
            ))),
        }
    }
}

/// Every size of the model. [`UNetConfig::default`] is the reference
/// model of 694,808 parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UNetConfig {
    /// Samples per profile; must be divisible by `2^filters.len()`.
    pub length: usize,
    /// Channels per sample of the input (1 for intensity).
    pub in_channels: usize,
    /// Number of layer classes (segmentation).
    pub n_layers: usize,
    /// Number of areas (classification).
    pub n_areas: usize,
    /// Output channels of each encoder level, from the top.
    pub filters: Vec<usize>,
    /// Channels of the bottleneck.
    pub bottleneck: usize,
    /// Convolution kernel size (odd).
    pub kernel: usize,
    /// Width of the hidden dense layer of the classification head.
    pub cls_hidden: usize,
    pub upsample: Upsample,
    /// Dropout probability after the bottleneck, in training only.
    pub dropout: f64,
}

impl Default for UNetConfig {
    fn default() -> Self {
        UNetConfig {
            length: 256,
            in_channels: 1,
            n_layers: 6,
            n_areas: 18,
            filters: vec![16, 32, 64, 128],
            bottleneck: 256,
            kernel: 3,
            cls_hidden: 64,
            upsample: Upsample::Transposed,
            dropout: 0.0,
        }
    }
}

impl UNetConfig {
    /// Checks every size.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first field out of range, including
    /// a length the encoder cannot halve `filters.len()` times.
    pub fn validate(&self) -> Result<()> {
        self.validate_sizes()?;
        self.validate_length()
    }

    /// Checks everything but the input length (which comes from the
    /// data), so a bad flag is reported before any data is read.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first field out of range.
    pub fn validate_sizes(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        if self.filters.is_empty() {
            return bad("filters: at least one encoder level is needed".into());
        }
        if self.kernel.is_multiple_of(2) {
            return bad(format!("kernel {} must be odd", self.kernel));
        }
        let widths = [self.in_channels, self.bottleneck, self.cls_hidden];
        if widths.contains(&0) || self.filters.contains(&0) {
            return bad("channel counts and widths must be at least 1".into());
        }
        if self.n_layers < 2 || self.n_areas < 2 {
            return bad(format!(
                "need at least 2 layer classes and 2 areas, got {} and {}",
                self.n_layers, self.n_areas
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout {} not in [0, 1)", self.dropout));
        }
        Ok(())
    }

    /// Checks that the encoder can halve `length` once per level, and
    /// that the kernel is not wider than a profile.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the nearest length that works.
    pub fn validate_length(&self) -> Result<()> {
        let levels = self.filters.len();
        let unit = 1usize << levels;
        if self.length == 0 || !self.length.is_multiple_of(unit) {
            return Err(Error::Config(format!(
                "input length {} cannot be halved {levels} times: it must be \
                 a positive multiple of {unit} (nearest: {})",
                self.length,
                (self.length / unit).max(1) * unit,
            )));
        }
        if self.kernel > self.length {
            return Err(Error::Config(format!(
                "kernel {} is wider than the profiles ({} samples)",
                self.kernel, self.length
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        UNetConfig::default().validate().unwrap();
    }

    #[test]
    fn length_not_halvable_is_an_error_naming_it() {
        let cfg = UNetConfig { length: 250, ..UNetConfig::default() };
        let msg = cfg.validate().unwrap_err().to_string();
        assert!(
            msg.contains("length 250") && msg.contains("multiple of 16"),
            "{msg}"
        );
    }

    #[test]
    fn even_kernel_is_an_error() {
        let cfg = UNetConfig { kernel: 4, ..UNetConfig::default() };
        assert!(matches!(cfg.validate(), Err(Error::Config(_))));
    }
}
