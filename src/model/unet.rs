//! The 1D U-Net with a classification branch on its bottleneck.
//!
//! ```text
//! x (B, L, 1) -> [conv k, relu, conv k, relu] x levels, maxpool 2 each
//!             -> bottleneck [conv, relu, conv, relu] at L / 2^levels
//!                |-> cls head: global avg pool -> dense + relu -> dense
//!                |             -> area logits (B, n_areas)
//!                '-> decoder: up 2 -> concat skip -> [conv, relu] x 2
//!                    per level -> seg head: conv k1 -> (B, L, n_layers)
//! ```
//!
//! The model owns only the structure (which parameter is which); the
//! values live in a [`Params`] store so one structure serves `f32`
//! training and `f64` gradient checks.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Part, UNetConfig, Upsample};
use crate::Result;
use crate::engine::{Float, ParamId, Params, Tape, Var};

/// A convolution or dense layer: weight and bias.
#[derive(Clone, Copy, Debug)]
struct Layer {
    w: ParamId,
    b: ParamId,
}

/// Two convolutions, each followed by ReLU.
#[derive(Clone, Copy, Debug)]
struct Block {
    conv1: Layer,
    conv2: Layer,
}

/// One decoder level: its upsampling (when learned) and its block.
#[derive(Clone, Copy, Debug)]
struct Up {
    up: Option<Layer>,
    block: Block,
}

/// The structure of the network and the [`Part`] each parameter is in.
#[derive(Clone, Debug)]
pub struct UNet {
    pub config: UNetConfig,
    encoder: Vec<Block>,
    bottleneck: Block,
    cls_hidden: Layer,
    cls_out: Layer,
    decoder: Vec<Up>,
    seg_out: Layer,
    parts: Vec<Part>,
}

/// What the encoder hands on: the bottleneck and the skips, top first.
pub struct Encoded {
    pub bottleneck: Var,
    pub skips: Vec<Var>,
}

/// Builds a parameter store and records the part of each parameter.
struct Builder<'a, T: Float> {
    params: &'a mut Params<T>,
    parts: Vec<Part>,
    rng: ChaCha8Rng,
}

impl<T: Float> Builder<'_, T> {
    /// A layer initialised as PyTorch does by default: weight and bias
    /// uniform in `+-1/sqrt(fan_in)`.
    fn layer(
        &mut self,
        name: &str,
        part: Part,
        shape: &[usize],
        fan_in: usize,
    ) -> Layer {
        let bound = 1.0 / (fan_in as f64).sqrt();
        let mut uniform = |shape: &[usize]| {
            ndarray::ArrayD::from_shape_simple_fn(shape, || {
                T::of(self.rng.random_range(-bound..bound))
            })
        };
        let (w, b) = (uniform(shape), uniform(&shape[shape.len() - 1..]));
        let w = self.params.add(format!("{name}.w"), w);
        let b = self.params.add(format!("{name}.b"), b);
        self.parts.extend([part, part]);
        Layer { w, b }
    }

    fn block(
        &mut self,
        name: &str,
        part: Part,
        c_in: usize,
        c_out: usize,
        k: usize,
    ) -> Block {
        Block {
            conv1: self.layer(
                &format!("{name}.conv1"),
                part,
                &[k, c_in, c_out],
                k * c_in,
            ),
            conv2: self.layer(
                &format!("{name}.conv2"),
                part,
                &[k, c_out, c_out],
                k * c_out,
            ),
        }
    }
}

impl UNet {
    /// A model with fresh weights drawn from `seed`.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Config`] if the configuration is invalid.
    ///
    /// # Example
    ///
    /// ```
    /// use lamina::model::{UNet, UNetConfig};
    /// let (_net, params) = UNet::init::<f32>(UNetConfig::default(), 0).unwrap();
    /// assert_eq!(params.num_scalars(), 694_808);
    /// ```
    pub fn init<T: Float>(
        config: UNetConfig,
        seed: u64,
    ) -> Result<(UNet, Params<T>)> {
        config.validate()?;
        let mut params = Params::new();
        let mut b = Builder {
            params: &mut params,
            parts: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        let k = config.kernel;

        let mut encoder = Vec::new();
        let mut c_in = config.in_channels;
        for (i, &f) in config.filters.iter().enumerate() {
            encoder.push(b.block(
                &format!("enc{i}"),
                Part::Encoder,
                c_in,
                f,
                k,
            ));
            c_in = f;
        }
        let bottleneck =
            b.block("bottleneck", Part::Bottleneck, c_in, config.bottleneck, k);

        let h = config.cls_hidden;
        let cls_hidden = b.layer(
            "cls.hidden",
            Part::ClsHead,
            &[config.bottleneck, h],
            config.bottleneck,
        );
        let cls_out =
            b.layer("cls.out", Part::ClsHead, &[h, config.n_areas], h);

        let mut decoder = Vec::new();
        let mut c_in = config.bottleneck;
        for (i, &f) in config.filters.iter().enumerate().rev() {
            let name = format!("dec{i}");
            let (up, c_cat) = match config.upsample {
                // PyTorch computes the fan-in of a transposed conv from
                // its output channels; kept for the same initial scale.
                Upsample::Transposed => (
                    Some(b.layer(
                        &format!("{name}.up"),
                        Part::Decoder,
                        &[2, c_in, f],
                        2 * f,
                    )),
                    2 * f,
                ),
                Upsample::Nearest => (None, c_in + f),
            };
            decoder.push(Up {
                up,
                block: b.block(&name, Part::Decoder, c_cat, f, k),
            });
            c_in = f;
        }
        let seg_out = b.layer(
            "seg.out",
            Part::SegHead,
            &[1, c_in, config.n_layers],
            c_in,
        );

        let parts = b.parts;
        let net = UNet {
            config,
            encoder,
            bottleneck,
            cls_hidden,
            cls_out,
            decoder,
            seg_out,
            parts,
        };
        Ok((net, params))
    }

    /// The part of the network a parameter belongs to.
    pub fn part(&self, id: ParamId) -> Part {
        self.parts[id.0]
    }

    /// The ids of every parameter in one of `parts`.
    pub fn params_in(&self, parts: &[Part]) -> Vec<ParamId> {
        (0..self.parts.len())
            .map(ParamId)
            .filter(|&id| parts.contains(&self.part(id)))
            .collect()
    }

    fn conv<T: Float>(&self, tape: &mut Tape<'_, T>, x: Var, l: Layer) -> Var {
        let (w, b) = (tape.param(l.w), tape.param(l.b));
        tape.conv1d(x, w, b)
    }

    fn block<T: Float>(
        &self,
        tape: &mut Tape<'_, T>,
        x: Var,
        blk: Block,
    ) -> Var {
        let h = self.conv(tape, x, blk.conv1);
        let h = tape.relu(h);
        let h = self.conv(tape, h, blk.conv2);
        tape.relu(h)
    }

    /// Encoder and bottleneck. `x (B, L, in_channels)`. Dropout runs
    /// when `rng` is given (training) and `config.dropout > 0`.
    pub fn encode<T: Float>(
        &self,
        tape: &mut Tape<'_, T>,
        x: Var,
        rng: Option<&mut ChaCha8Rng>,
    ) -> Encoded {
        let mut skips = Vec::with_capacity(self.encoder.len());
        let mut h = x;
        for &blk in &self.encoder {
            let s = self.block(tape, h, blk);
            skips.push(s);
            h = tape.maxpool2(s);
        }
        let mut bottleneck = self.block(tape, h, self.bottleneck);
        if let Some(rng) = rng.filter(|_| self.config.dropout > 0.0) {
            bottleneck = tape.dropout(bottleneck, self.config.dropout, rng);
        }
        Encoded { bottleneck, skips }
    }

    /// Classification head: area logits `(B, n_areas)`.
    pub fn classify<T: Float>(
        &self,
        tape: &mut Tape<'_, T>,
        enc: &Encoded,
    ) -> Var {
        let pooled = tape.global_avg_pool(enc.bottleneck);
        let (w, b) =
            (tape.param(self.cls_hidden.w), tape.param(self.cls_hidden.b));
        let h = tape.dense(pooled, w, b);
        let h = tape.relu(h);
        let (w, b) = (tape.param(self.cls_out.w), tape.param(self.cls_out.b));
        tape.dense(h, w, b)
    }

    /// Decoder and segmentation head: layer logits `(B, L, n_layers)`.
    pub fn segment<T: Float>(
        &self,
        tape: &mut Tape<'_, T>,
        enc: &Encoded,
    ) -> Var {
        let mut h = enc.bottleneck;
        for (up, &skip) in self.decoder.iter().zip(enc.skips.iter().rev()) {
            h = match up.up {
                Some(l) => {
                    let (w, b) = (tape.param(l.w), tape.param(l.b));
                    tape.conv_transpose2(h, w, b)
                }
                None => tape.upsample2(h),
            };
            h = tape.concat(h, skip);
            h = self.block(tape, h, up.block);
        }
        self.conv(tape, h, self.seg_out)
    }
}
