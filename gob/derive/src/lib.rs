//! `#[derive(Gob)]` for the gob codec.
//!
//! Structs with named fields become gob structs; tuple structs with one field (newtypes)
//! become Go named types over the inner type (e.g. `Edges(Vec<String>)` is Go's
//! `type Edges []string`).
//!
//! Attributes:
//! - `#[gob(go_type = "api.Record")]` on the type: Go's type string (package name and type
//!   name); default `main.<RustName>`. The bare name (after the last dot) is what Go writes
//!   into type definitions.
//! - `#[gob(interface = "*dispatcher.EntityInput")]` on the type: the name under which the
//!   type travels inside `interface{}` (implements `gob::GoName`; register it with
//!   `gob::register::<T>()` so decoding materialises the type).
//! - `#[gob(name = "ID")]` on a field: the Go field name; default: the Rust name in
//!   PascalCase (`record_ids` → `RecordIds`).
//! - `#[gob(skip)]` on a field: never sent, left at its default when decoding (like an
//!   unexported Go field).
//!
//! Decoding requires `Default` (absent fields keep their default, Go's zero value).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

/// Derives `gob::GobType`, `gob::Encode` and `gob::Decode` (see the crate docs).
#[proc_macro_derive(Gob, attributes(gob))]
pub fn derive_gob(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

struct TypeAttrs {
    go_type: Option<String>,
    interface: Option<String>,
}

fn type_attrs(input: &DeriveInput) -> syn::Result<TypeAttrs> {
    let mut out = TypeAttrs {
        go_type: None,
        interface: None,
    };
    for attr in &input.attrs {
        if !attr.path().is_ident("gob") {
            continue;
        }
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("go_type") {
                out.go_type = Some(m.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else if m.path.is_ident("interface") {
                out.interface = Some(m.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(m.error("unknown gob attribute; expected `go_type` or `interface`"))
            }
        })?;
    }
    Ok(out)
}

struct FieldInfo {
    ident: syn::Ident,
    ty: syn::Type,
    go_name: String,
}

fn pascal(s: &str) -> String {
    s.trim_start_matches("r#")
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Gob)] does not support generic types",
        ));
    }
    let name = &input.ident;
    let attrs = type_attrs(input)?;
    let go_type = attrs.go_type.unwrap_or_else(|| format!("main.{name}"));
    let data = match &input.data {
        Data::Struct(s) => s,
        _ => {
            return Err(syn::Error::new_spanned(
                input,
                "#[derive(Gob)] supports structs and newtypes only",
            ))
        }
    };
    let go_name_impl = attrs.interface.map(|iface| {
        quote! {
            impl ::gob::GoName for #name {
                const GO_NAME: &'static str = #iface;
            }
        }
    });
    let body = match &data.fields {
        Fields::Named(named) => {
            let mut fields = Vec::new();
            for f in &named.named {
                let mut skip = false;
                let mut rename = None;
                for attr in &f.attrs {
                    if !attr.path().is_ident("gob") {
                        continue;
                    }
                    attr.parse_nested_meta(|m| {
                        if m.path.is_ident("skip") {
                            skip = true;
                            Ok(())
                        } else if m.path.is_ident("name") {
                            rename = Some(m.value()?.parse::<LitStr>()?.value());
                            Ok(())
                        } else {
                            Err(m.error("unknown gob field attribute; expected `name` or `skip`"))
                        }
                    })?;
                }
                if skip {
                    continue;
                }
                let ident = f
                    .ident
                    .clone()
                    .ok_or_else(|| syn::Error::new_spanned(f, "unnamed field"))?;
                let go_name = rename.unwrap_or_else(|| pascal(&ident.to_string()));
                fields.push(FieldInfo {
                    ident,
                    ty: f.ty.clone(),
                    go_name,
                });
            }
            expand_struct(name, &go_type, &fields)
        }
        Fields::Unnamed(u) if u.unnamed.len() == 1 => {
            let inner = &u.unnamed[0].ty;
            expand_newtype(name, &go_type, inner)
        }
        _ => {
            return Err(syn::Error::new_spanned(
                input,
                "#[derive(Gob)] needs named fields or exactly one unnamed field",
            ))
        }
    };
    Ok(quote! {
        #body
        #go_name_impl
    })
}

fn expand_struct(name: &syn::Ident, go_type: &str, fields: &[FieldInfo]) -> TokenStream2 {
    let describe_fields = fields.iter().map(|f| {
        let ty = &f.ty;
        let gn = &f.go_name;
        quote! { b.field::<#ty>(schema, #gn)?; }
    });
    let encode_fields = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let gn = &f.go_name;
        let i = i as i64;
        quote! {
            prev = enc.field(prev, #i, &self.#ident).map_err(|e| e.in_path(concat!(".", #gn)))?;
        }
    });
    let names = fields.iter().map(|f| &f.go_name);
    let decode_arms = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote! { #i => out.#ident = ::gob::Decode::decode(d, w)?, }
    });
    quote! {
        impl ::gob::GobType for #name {
            fn go_type() -> ::gob::GoTypeName {
                ::gob::GoTypeName::named(#go_type)
            }
            fn describe(schema: &mut ::gob::Schema, name: &str) -> ::gob::Result<::gob::WireId> {
                match schema.begin_struct::<Self>(name) {
                    Ok(id) => Ok(id),
                    Err(mut b) => {
                        #(#describe_fields)*
                        Ok(b.finish(schema))
                    }
                }
            }
        }
        impl ::gob::Encode for #name {
            fn wire_type(&self, schema: &mut ::gob::Schema) -> ::gob::Result<::gob::WireId> {
                let t = <Self as ::gob::GobType>::go_type();
                <Self as ::gob::GobType>::describe(schema, t.bare_name())
            }
            #[allow(unused_mut, unused_assignments)]
            fn encode(&self, enc: &mut ::gob::Enc<'_>) -> ::gob::Result<()> {
                let mut prev: i64 = -1;
                #(#encode_fields)*
                let _ = prev;
                enc.end_struct();
                Ok(())
            }
            fn is_struct(&self) -> bool {
                true
            }
        }
        impl ::gob::Decode for #name {
            fn decode(d: &mut ::gob::Dec<'_, '_>, w: ::gob::WireId) -> ::gob::Result<Self> {
                const FIELDS: &[&str] = &[#(#names),*];
                let mut out = <Self as ::core::default::Default>::default();
                d.decode_struct(w, #go_type, FIELDS, |d, i, w| {
                    match i {
                        #(#decode_arms)*
                        _ => {}
                    }
                    Ok(())
                })?;
                Ok(out)
            }
        }
    }
}

fn expand_newtype(name: &syn::Ident, go_type: &str, inner: &syn::Type) -> TokenStream2 {
    quote! {
        impl ::gob::GobType for #name {
            fn go_type() -> ::gob::GoTypeName {
                ::gob::GoTypeName::named(#go_type)
            }
            fn describe(schema: &mut ::gob::Schema, name: &str) -> ::gob::Result<::gob::WireId> {
                <#inner as ::gob::GobType>::describe_as::<Self>(schema, name)
            }
        }
        impl ::gob::Encode for #name {
            fn wire_type(&self, schema: &mut ::gob::Schema) -> ::gob::Result<::gob::WireId> {
                let t = <Self as ::gob::GobType>::go_type();
                <Self as ::gob::GobType>::describe(schema, t.bare_name())
            }
            fn encode(&self, enc: &mut ::gob::Enc<'_>) -> ::gob::Result<()> {
                ::gob::Encode::encode(&self.0, enc)
            }
            fn omit_in_struct(&self) -> bool {
                ::gob::Encode::omit_in_struct(&self.0)
            }
            fn is_struct(&self) -> bool {
                ::gob::Encode::is_struct(&self.0)
            }
        }
        impl ::gob::Decode for #name {
            fn decode(d: &mut ::gob::Dec<'_, '_>, w: ::gob::WireId) -> ::gob::Result<Self> {
                Ok(#name(::gob::Decode::decode(d, w)?))
            }
        }
    }
}
