//! The shape of the report that policies read (`package`, `patch`), for the static check.
//!
//! It is derived from the report types themselves rather than kept beside them: their
//! `Deserialize` implementation names every field, optional ones included, so a [`Probe`]
//! deserializer that answers each request with one sample value records the whole tree. A
//! field added to `report.rs` is known to policies with no other change.

use std::sync::LazyLock;

use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use crate::audit::report::{PackageReport, PatchReport};

/// The shape of a report value, for checking field references.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// Anything (a computed value): not checked further.
    Any,
    /// A string, number or bool.
    Scalar,
    /// A list of values of one shape.
    List(Box<Shape>),
    /// An object with known fields.
    Object(Vec<(&'static str, Shape)>),
    /// A map with free keys (`by_status`).
    Map(Box<Shape>),
}

static PACKAGE: LazyLock<Shape> = LazyLock::new(shape_of::<PackageReport>);
static PATCH: LazyLock<Shape> = LazyLock::new(shape_of::<PatchReport>);

/// One package (`package`).
pub(crate) fn package() -> Shape {
    PACKAGE.clone()
}

/// One patch (`patch`, or an element of `package.patches`).
pub(crate) fn patch() -> Shape {
    PATCH.clone()
}

/// The shape of `T`, read from its `Deserialize` implementation.
fn shape_of<T: DeserializeOwned>() -> Shape {
    let mut shape = Shape::Any;
    // The report types are plain structs, options, lists, maps, strings and numbers, which
    // the probe answers; a unit test probes both shapes.
    T::deserialize(Probe { shape: &mut shape })
        .expect("the report types deserialize from the shape probe");
    shape
}

/// A deserializer that gives every value asked of it (one element per list, one entry per
/// map, `Some` for every option) and records the shape of what was asked into `shape`.
struct Probe<'s> {
    shape: &'s mut Shape,
}

macro_rules! scalars {
    ($($method:ident => $visit:ident($value:expr)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            *self.shape = Shape::Scalar;
            visitor.$visit($value)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Error;

    scalars! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i8(0),
        deserialize_i16 => visit_i16(0),
        deserialize_i32 => visit_i32(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u8(0),
        deserialize_u16 => visit_u16(0),
        deserialize_u32 => visit_u32(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f32(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('0'),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
        deserialize_bytes => visit_bytes(&[]),
        deserialize_byte_buf => visit_bytes(&[]),
        deserialize_identifier => visit_str(""),
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom(
            "a self-describing value has no shape to probe",
        ))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        *self.shape = Shape::Scalar;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut element = Shape::Any;
        let value = visitor.visit_seq(OneElement {
            shape: Some(&mut element),
        })?;
        *self.shape = Shape::List(Box::new(element));
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("a tuple has no shape to probe"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("a tuple has no shape to probe"))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (mut key, mut value) = (Shape::Any, Shape::Any);
        let result = visitor.visit_map(OneEntry {
            key: Some(&mut key),
            value: Some(&mut value),
        })?;
        *self.shape = Shape::Map(Box::new(value));
        Ok(result)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut shapes = Vec::new();
        let value = visitor.visit_map(EveryField {
            fields,
            shapes: &mut shapes,
        })?;
        *self.shape = Shape::Object(shapes);
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("an enum has no shape to probe"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A list of one element.
struct OneElement<'s> {
    shape: Option<&'s mut Shape>,
}

impl<'de> de::SeqAccess<'de> for OneElement<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.shape.take() {
            Some(shape) => seed.deserialize(Probe { shape }).map(Some),
            None => Ok(None),
        }
    }
}

/// A map of one entry.
struct OneEntry<'s> {
    key: Option<&'s mut Shape>,
    value: Option<&'s mut Shape>,
}

impl<'de> de::MapAccess<'de> for OneEntry<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.key.take() {
            Some(shape) => seed.deserialize(Probe { shape }).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let shape = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a map value asked twice"))?;
        seed.deserialize(Probe { shape })
    }
}

/// A struct with every one of its fields.
struct EveryField<'s> {
    fields: &'static [&'static str],
    shapes: &'s mut Vec<(&'static str, Shape)>,
}

impl<'de> de::MapAccess<'de> for EveryField<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(field) = self.fields.get(self.shapes.len()) else {
            return Ok(None);
        };
        let name: StrDeserializer<'_, Error> = field.into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let field = self.fields[self.shapes.len()];
        let mut shape = Shape::Any;
        let value = seed.deserialize(Probe { shape: &mut shape })?;
        self.shapes.push((field, shape));
        Ok(value)
    }
}
