//! The training modes: which losses drive which optimiser.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// In the alternating mode, which task steps first on each batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    SegFirst,
    ClsFirst,
}

/// How the two tasks are trained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Segmentation alone; the classification head is not trained.
    Seg,
    /// Classification alone; the decoder and segmentation head are not
    /// trained.
    Cls,
    /// One Adam over everything, loss `alpha * L_seg + (1 - alpha) * L_cls`.
    Joint { alpha: f32 },
    /// One Adam, loss `L_seg + L_cls` (Keras with a loss per output).
    Sum,
    /// Two Adams, one per task, each stepping the shared trunk in turn:
    /// every batch gets a segmentation step, every `ratio`-th batch also
    /// a classification step.
    Alternating { ratio: u32, order: Order },
}

impl Mode {
    /// Whether training this mode needs the segmentation forward pass.
    pub fn trains_seg(&self) -> bool {
        !matches!(self, Mode::Cls)
    }

    /// Whether training this mode needs the classification forward pass.
    pub fn trains_cls(&self) -> bool {
        !matches!(self, Mode::Seg)
    }
}

impl Mode {
    /// Which heads the mode actually trains: (segmentation,
    /// classification). `joint:1` records the classification loss but
    /// weighs it 0, so its classification head stays as initialised.
    pub fn trained_heads(&self) -> (bool, bool) {
        match *self {
            Mode::Seg => (true, false),
            Mode::Cls => (false, true),
            Mode::Joint { alpha } => (alpha > 0.0, alpha < 1.0),
            Mode::Sum | Mode::Alternating { .. } => (true, true),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Seg => write!(f, "seg"),
            Mode::Cls => write!(f, "cls"),
            Mode::Joint { alpha } => write!(f, "joint:{alpha}"),
            Mode::Sum => write!(f, "sum"),
            Mode::Alternating { ratio, order } => {
                write!(f, "alternating")?;
                if *ratio != 1 || *order != Order::SegFirst {
                    write!(f, ":{ratio}")?;
                }
                if *order == Order::ClsFirst {
                    write!(f, ":cls-first")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    /// Parses `seg`, `cls`, `sum`, `joint:ALPHA` (`joint` alone is alpha
    /// 0.5), `alternating[:RATIO][:cls-first|:seg-first]`.
    fn from_str(s: &str) -> Result<Mode> {
        let bad = |why: &str| {
            Error::Config(format!(
                "mode '{s}': {why} (modes: seg, cls, sum, joint:ALPHA, \
                 alternating[:RATIO][:cls-first])"
            ))
        };
        let mut parts = s.split(':');
        let mode = match parts.next().unwrap_or("") {
            "seg" => Mode::Seg,
            "cls" => Mode::Cls,
            "sum" => Mode::Sum,
            "joint" => {
                let alpha = match parts.next() {
                    None => 0.5,
                    Some(a) => a
                        .parse::<f32>()
                        .map_err(|_| bad("alpha is not a number"))?,
                };
                if !(0.0..=1.0).contains(&alpha) {
                    return Err(bad("alpha must be in [0, 1]"));
                }
                Mode::Joint { alpha }
            }
            "alternating" => {
                let mut ratio = 1;
                let mut order = Order::SegFirst;
                for p in parts.by_ref() {
                    match p {
                        "cls-first" => order = Order::ClsFirst,
                        "seg-first" => order = Order::SegFirst,
                        r => {
                            ratio = r.parse().map_err(|_| {
                                bad("ratio is not a whole number")
                            })?;
                            if ratio == 0 {
                                return Err(bad("ratio must be at least 1"));
                            }
                        }
                    }
                }
                Mode::Alternating { ratio, order }
            }
            _ => return Err(bad("unknown mode")),
        };
        if parts.next().is_some() {
            return Err(bad("too many ':' parts"));
        }
        Ok(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_round_trip() {
        for s in [
            "seg",
            "cls",
            "sum",
            "joint:0.5",
            "joint:1",
            "alternating",
            "alternating:3",
            "alternating:1:cls-first",
        ] {
            let m: Mode = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
        }
        assert_eq!(
            "joint".parse::<Mode>().unwrap(),
            Mode::Joint { alpha: 0.5 }
        );
    }

    #[test]
    fn trained_heads_follow_the_loss_weights() {
        let heads = |s: &str| s.parse::<Mode>().unwrap().trained_heads();
        assert_eq!(heads("joint:1"), (true, false));
        assert_eq!(heads("joint:0"), (false, true));
        assert_eq!(heads("joint:0.5"), (true, true));
        assert_eq!(heads("seg"), (true, false));
        assert_eq!(heads("alternating:3"), (true, true));
    }

    #[test]
    fn bad_modes_name_the_problem() {
        let e = "joint:1.5".parse::<Mode>().unwrap_err().to_string();
        assert!(e.contains("alpha must be in [0, 1]"), "{e}");
        let e = "alternating:0".parse::<Mode>().unwrap_err().to_string();
        assert!(e.contains("ratio"), "{e}");
        assert!("adam".parse::<Mode>().is_err());
    }
}
