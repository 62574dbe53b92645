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
//! - `#[gob(crate = "path::to::gob")]` on the type: where the gob crate is, for a crate that
//!   reaches it under another name (serde's and prost's `crate` attribute). The default is
//!   `::gob`; through `tilores_plugin::gob::Gob` it is `::tilores_plugin::gob`, so a crate that
//!   depends only on `tilores-plugin` needs no attribute.
//!
//! The expansion names only `<crate>::__private::...` (a doc-hidden module of the gob crate
//! that re-exports what the generated code calls), so the gob crate's public API can change
//! its layout without breaking derived code.
//!
//! Decoding requires `Default` (absent fields keep their default, Go's zero value).
//!
//! Go's embedded (anonymous) struct fields have no Rust counterpart: Go sends an embedded
//! `Base` as one field named `Base`, which a twin receives as a field of that name, but Go's
//! decoder also lets a wire field `A` land in the promoted `Base.A` (reflect's `FieldByName`).
//! A twin that must receive such fields declares them at its top level.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

/// Derives `gob::GobType`, `gob::Encode` and `gob::Decode` (see the crate docs).
#[proc_macro_derive(Gob, attributes(gob))]
pub fn derive_gob(input: TokenStream) -> TokenStream {
    derive_with_default(input, quote!(::gob))
}

/// The same derive, re-exported by `tilores-plugin` as `tilores_plugin::gob::Gob`: a derive
/// cannot see the path it was invoked by, so the crate path it defaults to is chosen by which
/// of the two macros the re-export names (`#[gob(crate = ...)]` still overrides it).
#[doc(hidden)]
#[proc_macro_derive(GobViaPlugin, attributes(gob))]
pub fn derive_gob_via_plugin(input: TokenStream) -> TokenStream {
    derive_with_default(input, quote!(::tilores_plugin::gob))
}

fn derive_with_default(input: TokenStream, default_crate: TokenStream2) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input, default_crate) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

struct TypeAttrs {
    go_type: Option<String>,
    interface: Option<String>,
    krate: Option<syn::Path>,
}

fn type_attrs(input: &DeriveInput) -> syn::Result<TypeAttrs> {
    let mut out = TypeAttrs {
        go_type: None,
        interface: None,
        krate: None,
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
            } else if m.path.is_ident("crate") {
                out.krate = Some(m.value()?.parse::<LitStr>()?.parse()?);
                Ok(())
            } else {
                Err(m.error("unknown gob attribute; expected `go_type`, `interface` or `crate`"))
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

fn expand(input: &DeriveInput, default_crate: TokenStream2) -> syn::Result<TokenStream2> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Gob)] does not support generic types",
        ));
    }
    let name = &input.ident;
    let attrs = type_attrs(input)?;
    let go_type = attrs.go_type.unwrap_or_else(|| format!("main.{name}"));
    let krate = attrs.krate.map_or(default_crate, |p| quote!(#p));
    // Every path of the expansion goes through the hidden `__private` module.
    let p = quote!(#krate::__private);
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
            impl #p::GoName for #name {
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
            expand_struct(&p, name, &go_type, &fields)
        }
        Fields::Unnamed(u) if u.unnamed.len() == 1 => {
            let inner = &u.unnamed[0].ty;
            expand_newtype(&p, name, &go_type, inner)
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

fn expand_struct(
    p: &TokenStream2,
    name: &syn::Ident,
    go_type: &str,
    fields: &[FieldInfo],
) -> TokenStream2 {
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
            prev = enc.field(prev, #i, &self.#ident).map_err(|e| e.in_path(::core::concat!(".", #gn)))?;
        }
    });
    let names = fields.iter().map(|f| &f.go_name);
    let names_check = names.clone();
    let decode_arms = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote! { #i => out.#ident = #p::Decode::decode(d, w)?, }
    });
    let check_arms = fields.iter().enumerate().map(|(i, f)| {
        let ty = &f.ty;
        quote! { #i => <#ty as #p::Decode>::check_wire(d, w), }
    });
    quote! {
        impl #p::GobType for #name {
            fn go_type() -> #p::GoTypeName {
                #p::GoTypeName::named(#go_type)
            }
            fn describe(schema: &mut #p::Schema, name: &str) -> #p::Result<#p::WireId> {
                match schema.begin_struct::<Self>(name) {
                    ::core::result::Result::Ok(id) => ::core::result::Result::Ok(id),
                    ::core::result::Result::Err(mut b) => {
                        #(#describe_fields)*
                        ::core::result::Result::Ok(b.finish(schema))
                    }
                }
            }
        }
        impl #p::Encode for #name {
            fn wire_type(&self, schema: &mut #p::Schema) -> #p::Result<#p::WireId> {
                let t = <Self as #p::GobType>::go_type();
                <Self as #p::GobType>::describe(schema, t.bare_name())
            }
            #[allow(unused_mut, unused_assignments)]
            fn encode(&self, enc: &mut #p::Enc<'_>) -> #p::Result<()> {
                let mut prev: i64 = -1;
                #(#encode_fields)*
                let _ = prev;
                enc.end_struct();
                ::core::result::Result::Ok(())
            }
            fn is_struct(&self) -> bool {
                true
            }
        }
        impl #p::Decode for #name {
            fn decode(d: &mut #p::Dec<'_, '_>, w: #p::WireId) -> #p::Result<Self> {
                const FIELDS: &[&str] = &[#(#names),*];
                let mut out = <Self as ::core::default::Default>::default();
                d.decode_struct(w, #go_type, FIELDS, |d, i, w| {
                    match i {
                        #(#decode_arms)*
                        _ => {}
                    }
                    ::core::result::Result::Ok(())
                })?;
                ::core::result::Result::Ok(out)
            }
            fn check_wire(d: &mut #p::Dec<'_, '_>, w: #p::WireId) -> #p::Result<()> {
                const FIELDS: &[&str] = &[#(#names_check),*];
                d.check_composite::<Self>(|d| {
                    d.check_struct::<Self>(w, #go_type, FIELDS, |d, i, w| match i {
                        #(#check_arms)*
                        _ => ::core::result::Result::Ok(()),
                    })
                })
            }
        }
    }
}

fn expand_newtype(
    p: &TokenStream2,
    name: &syn::Ident,
    go_type: &str,
    inner: &syn::Type,
) -> TokenStream2 {
    quote! {
        impl #p::GobType for #name {
            fn go_type() -> #p::GoTypeName {
                #p::GoTypeName::named(#go_type)
            }
            fn describe(schema: &mut #p::Schema, name: &str) -> #p::Result<#p::WireId> {
                <#inner as #p::GobType>::describe_as::<Self>(schema, name)
            }
        }
        impl #p::Encode for #name {
            fn wire_type(&self, schema: &mut #p::Schema) -> #p::Result<#p::WireId> {
                let t = <Self as #p::GobType>::go_type();
                <Self as #p::GobType>::describe(schema, t.bare_name())
            }
            fn encode(&self, enc: &mut #p::Enc<'_>) -> #p::Result<()> {
                #p::Encode::encode(&self.0, enc)
            }
            fn omit_in_struct(&self) -> bool {
                #p::Encode::omit_in_struct(&self.0)
            }
            fn is_struct(&self) -> bool {
                #p::Encode::is_struct(&self.0)
            }
        }
        impl #p::Decode for #name {
            fn decode(d: &mut #p::Dec<'_, '_>, w: #p::WireId) -> #p::Result<Self> {
                ::core::result::Result::Ok(#name(#p::Decode::decode(d, w)?))
            }
            fn check_wire(d: &mut #p::Dec<'_, '_>, w: #p::WireId) -> #p::Result<()> {
                d.check_composite::<Self>(|d| d.check_base::<#inner>(w))
            }
        }
    }
}
