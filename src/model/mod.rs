//! The model: a configurable 1D U-Net whose bottleneck also feeds an
//! area classifier.

mod config;
mod unet;

pub use config::{UNetConfig, Upsample};
pub use unet::{Encoded, UNet};

/// The parts of the network, which decide which optimiser owns what.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Part {
    Encoder,
    Bottleneck,
    Decoder,
    SegHead,
    ClsHead,
}

impl Part {
    /// The shared trunk: what both tasks train.
    pub const TRUNK: [Part; 2] = [Part::Encoder, Part::Bottleneck];
    /// What the segmentation task trains.
    pub const SEG: [Part; 4] =
        [Part::Encoder, Part::Bottleneck, Part::Decoder, Part::SegHead];
    /// What the classification task trains.
    pub const CLS: [Part; 3] = [Part::Encoder, Part::Bottleneck, Part::ClsHead];
    /// Everything.
    pub const ALL: [Part; 5] = [
        Part::Encoder,
        Part::Bottleneck,
        Part::Decoder,
        Part::SegHead,
        Part::ClsHead,
    ];
}
