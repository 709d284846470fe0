//! Trainable parameters, owned outside any tape, and the gradients one
//! backward pass gives for them.
//!
//! Parameters live in a [`Params`] store for the whole run; each step
//! builds a fresh tape that borrows them, so nothing a step records
//! outlives it. Gradients come back as a [`Grads`], indexed by the same
//! [`ParamId`]s, which the optimisers read.

use ndarray::ArrayD;

use super::Float;

/// The index of one parameter array in a [`Params`] store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub usize);

/// Named parameter arrays, in the order they were added.
#[derive(Clone, Debug, PartialEq)]
pub struct Params<T> {
    names: Vec<String>,
    values: Vec<ArrayD<T>>,
}

impl<T: Float> Default for Params<T> {
    fn default() -> Self {
        Params { names: Vec::new(), values: Vec::new() }
    }
}

impl<T: Float> Params<T> {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter and returns its id.
    ///
    /// # Panics
    ///
    /// If the name is already taken.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        value: ArrayD<T>,
    ) -> ParamId {
        let name = name.into();
        assert!(!self.names.contains(&name), "parameter {name} added twice");
        self.names.push(name);
        self.values.push(value.as_standard_layout().into_owned());
        ParamId(self.values.len() - 1)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The total number of scalars in all parameters.
    pub fn num_scalars(&self) -> usize {
        self.values.iter().map(|v| v.len()).sum()
    }

    pub fn name(&self, id: ParamId) -> &str {
        &self.names[id.0]
    }

    pub fn get(&self, id: ParamId) -> &ArrayD<T> {
        &self.values[id.0]
    }

    pub fn get_mut(&mut self, id: ParamId) -> &mut ArrayD<T> {
        &mut self.values[id.0]
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> + use<T> {
        (0..self.values.len()).map(ParamId)
    }

    /// The id of the parameter called `name`.
    pub fn find(&self, name: &str) -> Option<ParamId> {
        self.names.iter().position(|n| n == name).map(ParamId)
    }

    /// The same parameters in another float type (for gradient checks).
    pub fn cast<U: Float>(&self) -> Params<U> {
        Params {
            names: self.names.clone(),
            values: self
                .values
                .iter()
                .map(|v| v.mapv(|x| U::of(x.f64())))
                .collect(),
        }
    }
}

/// The gradient of one scalar with respect to parameters and, for the
/// inputs that asked for it, inputs.
#[derive(Clone, Debug)]
pub struct Grads<T> {
    pub(crate) params: Vec<Option<ArrayD<T>>>,
    pub(crate) inputs: Vec<(usize, ArrayD<T>)>,
}

impl<T: Float> Grads<T> {
    /// The gradient of a parameter; `None` when the scalar does not
    /// depend on it (a head the loss did not use).
    pub fn param(&self, id: ParamId) -> Option<&ArrayD<T>> {
        self.params.get(id.0).and_then(|g| g.as_ref())
    }

    /// The gradient of an input made with `Tape::input_with_grad`.
    pub fn input(&self, var: super::Var) -> Option<&ArrayD<T>> {
        self.inputs.iter().find(|(i, _)| *i == var.0).map(|(_, g)| g)
    }
}
