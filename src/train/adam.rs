//! Adam with bias-corrected moments (Kingma & Ba, 2015), as PyTorch
//! defines it: `lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8`, no weight
//! decay.
//!
//! An optimiser owns a set of parameters, with one first and one second
//! moment per owned parameter and its own step counter. Two instances
//! that own overlapping sets (the alternating mode) share nothing but
//! the parameter values they both update.

use ndarray::{ArrayD, Zip};
use serde::{Deserialize, Serialize};

use crate::engine::{Grads, ParamId, Params};

/// Adam's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// One Adam optimiser over the parameters it owns.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub config: AdamConfig,
    owned: Vec<ParamId>,
    /// Steps taken so far (the `t` of the bias correction).
    pub step: u64,
    m: Vec<ArrayD<f32>>,
    v: Vec<ArrayD<f32>>,
}

impl Adam {
    /// An optimiser owning `owned`, with zero moments.
    pub fn new(
        config: AdamConfig,
        owned: Vec<ParamId>,
        params: &Params<f32>,
    ) -> Adam {
        let zeros = |id: &ParamId| ArrayD::zeros(params.get(*id).raw_dim());
        let m = owned.iter().map(zeros).collect();
        let v = owned.iter().map(zeros).collect();
        Adam { config, owned, step: 0, m, v }
    }

    /// The parameters this optimiser updates.
    pub fn owned(&self) -> &[ParamId] {
        &self.owned
    }

    /// The first and second moments of the i-th owned parameter.
    pub fn moments(&self, i: usize) -> (&ArrayD<f32>, &ArrayD<f32>) {
        (&self.m[i], &self.v[i])
    }

    /// One update of every owned parameter from `grads`. An owned
    /// parameter the loss did not reach (no gradient) keeps its value
    /// and its moments, as in PyTorch.
    pub fn update(&mut self, params: &mut Params<f32>, grads: &Grads<f32>) {
        self.step += 1;
        let AdamConfig { lr, beta1, beta2, eps } = self.config;
        let t = self.step as i32;
        let bias1 = 1.0 - beta1.powi(t);
        let bias2 = 1.0 - beta2.powi(t);

        for (i, &id) in self.owned.iter().enumerate() {
            let Some(g) = grads.param(id) else { continue };
            Zip::from(params.get_mut(id))
                .and(&mut self.m[i])
                .and(&mut self.v[i])
                .and(g)
                .for_each(|w, m, v, &g| {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / bias1;
                    let v_hat = *v / bias2;
                    *w -= lr * m_hat / (v_hat.sqrt() + eps);
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Tape;
    use ndarray::arr1;

    #[test]
    fn first_step_moves_each_weight_by_lr_against_the_gradient_sign() {
        // With bias correction, step 1 is lr * g / (|g| + eps).
        let mut params = Params::new();
        let id = params.add("w", arr1(&[1.0f32, -2.0]).into_dyn());
        let mut adam = Adam::new(AdamConfig::default(), vec![id], &params);
        let grads = {
            let mut tape = Tape::new(&params);
            let w = tape.param(id);
            let loss = tape.weighted_sum(w, arr1(&[3.0f32, -0.5]).into_dyn());
            tape.backward(loss)
        };
        adam.update(&mut params, &grads);
        let w = params.get(id);
        assert!((w[[0]] - (1.0 - 1e-3)).abs() < 1e-7, "{w}");
        assert!((w[[1]] - (-2.0 + 1e-3)).abs() < 1e-7, "{w}");
        assert_eq!(adam.step, 1);
    }

    #[test]
    fn two_steps_by_hand() {
        // g = 1 then g = 3, lr 0.1, beta1 .9, beta2 .999, eps 0:
        // step 2: m = .9*.1 + .1*3 = .39, v = .999*.001 + .001*9 = .009999
        // m_hat = .39 / .19, v_hat = .009999 / .001999
        let cfg = AdamConfig { lr: 0.1, eps: 0.0, ..AdamConfig::default() };
        let mut params = Params::new();
        let id = params.add("w", arr1(&[0.0f32]).into_dyn());
        let mut adam = Adam::new(cfg, vec![id], &params);
        for g in [1.0f32, 3.0] {
            let grads = {
                let mut tape = Tape::new(&params);
                let w = tape.param(id);
                let loss = tape.weighted_sum(w, arr1(&[g]).into_dyn());
                tape.backward(loss)
            };
            adam.update(&mut params, &grads);
        }
        let step2 = 0.1 * (0.39f64 / 0.19) / (0.009999f64 / 0.001999).sqrt();
        let want = -0.1 - step2;
        assert!((params.get(id)[[0]] as f64 - want).abs() < 1e-6);
    }
}
