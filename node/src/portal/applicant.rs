//! The application form: the boxes an applicant fills, the species lookup, and every problem
//! shown next to the box it concerns, with what the applicant typed kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use contracts::application::Request;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::workflow::{PURPOSES, document_name, purpose_name};
use super::{Answer, Form, Msg, Visitor, see_other};
use crate::http::{AppState, JsonBody};
use crate::users::Role;

/// Species blocks the form offers (boxes 7-12 of the standard form have four).
const BLOCKS: [&str; 4] = ["A", "B", "C", "D"];

const SOURCES: [&str; 11] = ["W", "R", "D", "A", "C", "F", "I", "O", "U", "X", "Y"];
const APPENDICES: [&str; 3] = ["I", "II", "III"];

/// What the form shows: the values (as typed), problems by place, and taxa found.
struct Filled {
    values: BTreeMap<String, String>,
    /// By place: `box:N` or `block:A`.
    problems: BTreeMap<String, Vec<String>>,
    /// Problems of boxes the applicant does not fill.
    general: Vec<String>,
    notice: Option<Msg>,
}

impl Filled {
    fn new(values: BTreeMap<String, String>) -> Filled {
        Filled {
            values,
            problems: BTreeMap::new(),
            general: Vec::new(),
            notice: None,
        }
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// Files a problem of box `form_box` (block `block`) where the form shows that box.
    fn add(&mut self, form_box: &str, block: Option<&str>, message: String) {
        let place = match (form_box, block) {
            (_, Some(b)) => format!("block:{b}"),
            ("1" | "2" | "3" | "3a" | "4" | "5" | "5a", None) => {
                format!("box:{}", form_box.trim_end_matches('a'))
            }
            _ => {
                self.general.push(format!("{form_box}: {message}"));
                return;
            }
        };
        self.problems.entry(place).or_default().push(message);
    }

    fn errors(&self, place: &str) -> Markup {
        let id = format!("err-{}", place.replace(':', "-"));
        html! {
            @if let Some(list) = self.problems.get(place) {
                // A span: it sits inside the field's paragraph.
                span class="field-errors" id=(id) role="alert" {
                    @for m in list { span { (m) } }
                }
            }
        }
    }
}

/// The box a field of the request belongs to, from its path in the request (`blocks[1].source`)
/// and the blocks' letters in order.
fn box_of(path: &str, letters: &[String]) -> (&'static str, Option<String>) {
    if let Some(rest) = path.strip_prefix("blocks[") {
        let i: usize = rest
            .split(']')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        return ("7", letters.get(i).cloned());
    }
    let top = path.split(['.', '[']).next().unwrap_or("");
    let b = match top {
        "document_type" => "1",
        "valid_from" | "valid_until" => "2",
        "importer" => "3",
        "exporter" => "4",
        "special_conditions" | "import_permit" => "5",
        "purpose" => "5a",
        _ => "",
    };
    (b, None)
}

/// The request the fields describe, laid over `base` (the stored request of a draft, or null):
/// what the form does not show (other boxes, other conditions, blocks past D, marks, origin)
/// is kept as it was. `None` with the field problems when it is not a request.
fn request_of(v: &Visitor, f: &mut Filled, base: &Value) -> Option<Request> {
    if !fields_read(v, f) {
        return None;
    }
    let text = |f: &Filled, name: &str| Value::String(f.value(name).trim().to_owned());
    let set_or_drop = |m: &mut Map<String, Value>, key: &str, value: Value| {
        if value.as_str().is_some_and(str::is_empty) {
            m.remove(key);
        } else {
            m.insert(key.into(), value);
        }
    };
    let mut request = base.as_object().cloned().unwrap_or_default();
    request.insert("document_type".into(), text(f, "document_type"));
    set_or_drop(&mut request, "valid_until", text(f, "valid_until"));
    for who in ["importer", "exporter"] {
        if who == "exporter" && f.value("exporter_name").trim().is_empty() {
            request.remove(who);
            continue;
        }
        let mut party = request
            .get(who)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        party.insert("name".into(), text(f, &format!("{who}_name")));
        party.insert("address".into(), text(f, &format!("{who}_address")));
        let country = f.value(&format!("{who}_country")).trim().to_uppercase();
        party.insert("country".into(), country.into());
        request.insert(who.into(), Value::Object(party));
    }
    let mut conditions: Vec<Value> = request
        .get("special_conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    conditions.retain(|c| c["kind"] != "live_transport");
    if f.value("live_transport") == "on" {
        conditions.push(json!({ "kind": "live_transport" }));
    }
    request.insert("special_conditions".into(), Value::Array(conditions));
    request.insert("purpose".into(), text(f, "purpose"));
    let mut blocks: BTreeMap<String, Map<String, Value>> = request
        .get("blocks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| Some((b["id"].as_str()?.to_owned(), b.as_object()?.clone())))
        .collect();
    for id in BLOCKS {
        let field = |name: &str| format!("b{id}_{name}");
        if f.value(&field("scientific_name")).trim().is_empty() {
            blocks.remove(id);
            continue;
        }
        let b = blocks.entry(id.to_owned()).or_default();
        b.insert("id".into(), id.into());
        for name in [
            "scientific_name",
            "kingdom",
            "description",
            "term",
            "appendix",
            "source",
            "quantity",
        ] {
            b.insert(name.into(), text(f, &field(name)));
        }
        for name in ["common_name", "unit"] {
            set_or_drop(b, name, text(f, &field(name)));
        }
    }
    if blocks.is_empty() {
        let m = v.t(Msg::OneBlockNeeded).to_owned();
        f.problems.entry("block:A".into()).or_default().push(m);
        return None;
    }
    let letters: Vec<String> = blocks.keys().cloned().collect();
    let blocks: Vec<Value> = blocks.into_values().map(Value::Object).collect();
    request.insert("blocks".into(), Value::Array(blocks));
    match serde_path_to_error::deserialize::<_, Request>(Value::Object(request)) {
        Ok(r) => Some(r),
        Err(e) => {
            let path = e.path().to_string();
            let (form_box, block) = box_of(&path, &letters);
            let message = format!("{path}: {}", e.inner());
            f.add(
                if form_box.is_empty() { "?" } else { form_box },
                block.as_deref(),
                message,
            );
            None
        }
    }
}

/// Whether field `name` reads as a `T` (a code of its list, a number); files the problem next
/// to the field when not, so every field's problem shows at once rather than the first one.
fn field_reads<T: serde::de::DeserializeOwned>(
    v: &Visitor,
    f: &mut Filled,
    name: &str,
    required: bool,
) -> bool {
    let value = f.value(name).trim().to_owned();
    let problem = if value.is_empty() {
        required.then(|| v.t(Msg::Required).to_owned())
    } else {
        serde_json::from_value::<T>(Value::String(value.clone()))
            .err()
            .map(|e| format!("{value:?}: {e}"))
    };
    match problem {
        Some(p) => {
            f.problems
                .entry(format!("field:{name}"))
                .or_default()
                .push(p);
            false
        }
        None => true,
    }
}

/// Every field the request needs as a code or a number, each checked on its own.
fn fields_read(v: &Visitor, f: &mut Filled) -> bool {
    use contracts::{
        Appendix, Country, DocumentType, Kingdom, Purpose, Quantity, Source, Term, Unit,
    };
    let mut ok = field_reads::<DocumentType>(v, f, "document_type", true)
        & field_reads::<Purpose>(v, f, "purpose", true)
        & field_reads::<Country>(v, f, "importer_country", true);
    if f.value("holder").trim().is_empty() {
        f.problems
            .entry("holder".into())
            .or_default()
            .push(v.t(Msg::Required).to_owned());
        ok = false;
    }
    if !f.value("exporter_name").trim().is_empty() {
        ok &= field_reads::<Country>(v, f, "exporter_country", true);
    }
    for id in BLOCKS {
        let field = |name: &str| format!("b{id}_{name}");
        if f.value(&field("scientific_name")).trim().is_empty() {
            continue;
        }
        ok &= field_reads::<Kingdom>(v, f, &field("kingdom"), true)
            & field_reads::<Term>(v, f, &field("term"), true)
            & field_reads::<Appendix>(v, f, &field("appendix"), true)
            & field_reads::<Source>(v, f, &field("source"), true)
            & field_reads::<Quantity>(v, f, &field("quantity"), true)
            & field_reads::<Unit>(v, f, &field("unit"), false);
    }
    ok
}

/// The form's fields for an existing request.
fn values_of(request: &Value, holder: &str, id: &str) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let mut put = |k: String, x: &Value| {
        if let Some(s) = x.as_str() {
            v.insert(k, s.to_owned());
        }
    };
    put("id".into(), &json!(id));
    put("holder".into(), &json!(holder));
    for k in ["document_type", "valid_until", "purpose"] {
        put(k.into(), &request[k]);
    }
    for who in ["importer", "exporter"] {
        for k in ["name", "address", "country"] {
            put(format!("{who}_{k}"), &request[who][k]);
        }
    }
    let live = request["special_conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["kind"] == "live_transport"));
    if live {
        v.insert("live_transport".into(), "on".into());
    }
    for b in request["blocks"].as_array().into_iter().flatten() {
        // By letter: a draft with blocks A and C shows them as A and C.
        let Some(id) = b["id"].as_str().filter(|id| BLOCKS.contains(id)) else {
            continue;
        };
        for (k, x) in b.as_object().into_iter().flatten() {
            if let Some(s) = x.as_str() {
                v.insert(format!("b{id}_{k}"), s.to_owned());
            }
        }
    }
    v
}

fn text_field(f: &Filled, v: &Visitor, name: &str, label: Msg, required: bool) -> Markup {
    html! {
        p {
            label for=(name) { (v.t(label)) }
            br;
            input id=(name) name=(name) value=(f.value(name)) required[required]
                aria-describedby=[f.problems.contains_key(&format!("field:{name}")).then(|| format!("err-field-{name}"))];
            (f.errors(&format!("field:{name}")))
        }
    }
}

fn select(
    f: &Filled,
    name: &str,
    label: &str,
    options: &[(String, String)],
    blank: bool,
) -> Markup {
    let chosen = f.value(name);
    html! {
        p {
            label for=(name) { (label) }
            br;
            select id=(name) name=(name)
                aria-describedby=[f.problems.contains_key(&format!("field:{name}")).then(|| format!("err-field-{name}"))] {
                @if blank { option value="" { "—" } }
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
            (f.errors(&format!("field:{name}")))
        }
    }
}

fn form_page(s: &AppState, v: &Visitor, f: &Filled) -> Markup {
    let editing = !f.value("id").is_empty();
    let docs: Vec<(String, String)> = contracts::DocumentType::ALL
        .iter()
        .map(|d| {
            let code = super::code(d);
            let name = document_name(v, &code).to_owned();
            (code, name)
        })
        .collect();
    let purposes: Vec<(String, String)> = PURPOSES
        .iter()
        .map(|(c, _)| ((*c).to_owned(), purpose_name(v, c)))
        .collect();
    let codes = |list: &[&str]| -> Vec<(String, String)> {
        list.iter()
            .map(|c| ((*c).to_owned(), (*c).to_owned()))
            .collect()
    };
    let party_fields = |who: &str, legend: Msg, form_box: &str| {
        html! {
            fieldset aria-describedby=[f.problems.contains_key(&format!("box:{form_box}")).then(|| format!("err-box-{form_box}"))] {
                legend { (form_box) " · " (v.t(legend)) }
                (f.errors(&format!("box:{form_box}")))
                (text_field(f, v, &format!("{who}_name"), Msg::Name, who == "importer"))
                (text_field(f, v, &format!("{who}_address"), Msg::Address, who == "importer"))
                (text_field(f, v, &format!("{who}_country"), Msg::CountryCode, who == "importer"))
            }
        }
    };
    html! {
        h1 { @if editing { (v.t(Msg::Application)) " " (f.value("id")) } @else { (v.t(Msg::NewApplication)) } }
        @if let Some(n) = f.notice { p role="status" class="ok" { (v.t(n)) } }
        @if !f.problems.is_empty() || !f.general.is_empty() {
            p role="alert" class="bad" { (v.t(Msg::FixProblems)) }
            @if !f.general.is_empty() {
                ul { @for g in &f.general { li { (g) } } }
            }
        }
        form method="post" action="/portal/applications/new" novalidate {
            (v.csrf_field())
            input type="hidden" id="id" name="id" value=(f.value("id"));
            p {
                label for="holder" { (v.t(Msg::WalletDid)) }
                br;
                input id="holder" name="holder" value=(f.value("holder")) size="60" required readonly[editing];
                br;
                small { (v.t(Msg::WalletDidHint)) }
                (f.errors("holder"))
            }
            fieldset {
                legend { "1 · 2 · " (v.t(Msg::DocumentType)) }
                (f.errors("box:1"))
                (f.errors("box:2"))
                (select(f, "document_type", v.t(Msg::DocumentType), &docs, false))
                p {
                    label for="valid_until" { (v.t(Msg::ValidUntilOptional)) }
                    br;
                    input id="valid_until" name="valid_until" type="date" value=(f.value("valid_until"));
                }
            }
            (party_fields("importer", Msg::Importer, "3"))
            (party_fields("exporter", Msg::Exporter, "4"))
            fieldset {
                legend { "5 · 5a · " (v.t(Msg::Purpose)) }
                (f.errors("box:5"))
                (select(f, "purpose", v.t(Msg::Purpose), &purposes, false))
                p {
                    input type="checkbox" id="live_transport" name="live_transport" checked[f.value("live_transport") == "on"];
                    label for="live_transport" { (v.t(Msg::LiveTransport)) }
                }
            }
            fieldset {
                legend { (v.t(Msg::SpeciesLookup)) }
                p {
                    label for="species_lookup" { (v.t(Msg::SpeciesLookupHint)) }
                    br;
                    input id="species_lookup" name="species_lookup" value=(f.value("species_lookup"));
                    " "
                    button type="submit" name="intent" value="lookup" { (v.t(Msg::LookUp)) }
                }
                @let wanted = f.value("species_lookup").trim();
                @let taxa = if wanted.is_empty() { Vec::new() } else { s.species.search(wanted, 20) };
                @if !taxa.is_empty() {
                    table id="taxa" {
                        thead { tr { th scope="col" { (v.t(Msg::Species)) } th scope="col" { (v.t(Msg::Appendix)) } th scope="col" { (v.t(Msg::CommonNames)) } } }
                        tbody {
                            @for t in &taxa {
                                tr { td { i { (t.name) } } td { (t.listing) } td { (t.common.join(", ")) } }
                            }
                        }
                    }
                } @else if !wanted.is_empty() {
                    p { (v.t(Msg::NoTaxon)) }
                }
                p { small { (s.species.source()) } }
            }
            @for (i, id) in BLOCKS.iter().enumerate() {
                @let field = |n: &str| format!("b{id}_{n}");
                @let place = format!("block:{id}");
                @let open = i == 0 || !f.value(&field("scientific_name")).is_empty() || f.problems.contains_key(&place);
                details open[open] {
                    summary { (v.t(Msg::Block)) " " (id) " · 7-11" }
                    fieldset aria-describedby=[f.problems.contains_key(&place).then(|| format!("err-block-{id}"))] {
                        legend { (v.t(Msg::Block)) " " (id) }
                        (f.errors(&place))
                        (text_field(f, v, &field("scientific_name"), Msg::ScientificName, i == 0))
                        (text_field(f, v, &field("common_name"), Msg::CommonName, false))
                        (select(f, &field("kingdom"), v.t(Msg::Kingdom), &[("Animalia".into(), "Animalia".into()), ("Plantae".into(), "Plantae".into())], false))
                        (text_field(f, v, &field("description"), Msg::Description, i == 0))
                        (text_field(f, v, &field("term"), Msg::TermCode, i == 0))
                        (select(f, &field("appendix"), v.t(Msg::Appendix), &codes(&APPENDICES), true))
                        (select(f, &field("source"), v.t(Msg::Source), &codes(&SOURCES), true))
                        (text_field(f, v, &field("quantity"), Msg::Quantity, i == 0))
                        (text_field(f, v, &field("unit"), Msg::UnitCode, false))
                    }
                }
            }
            p {
                button type="submit" name="intent" value="save" { (v.t(Msg::SaveDraft)) }
                " "
                button type="submit" name="intent" value="submit" { (v.t(Msg::SaveAndSubmit)) }
            }
        }
    }
}

fn show(s: &AppState, v: &Visitor, status: StatusCode, f: &Filled) -> Response {
    let title = match f.value("id") {
        "" => v.t(Msg::NewApplication).to_owned(),
        id => format!("{} {id}", v.t(Msg::Application)),
    };
    (status, v.page(&title, form_page(s, v, f))).into_response()
}

/// `GET /portal/applications/new`: an empty form (the exporter's country is this node's).
pub async fn new_form(State(s): State<Arc<AppState>>, v: Visitor) -> Response {
    if let Err(r) = v.require("/portal/applications/new", &[Role::Applicant]) {
        return r;
    }
    let mut values = BTreeMap::new();
    values.insert("exporter_country".into(), s.config.party.to_string());
    values.insert("document_type".into(), "export_permit".into());
    values.insert("purpose".into(), "T".into());
    values.insert("bA_kingdom".into(), "Animalia".into());
    show(&s, &v, StatusCode::OK, &Filled::new(values))
}

/// `GET /portal/applications/{id}/edit`: the draft in the form.
pub async fn edit_form(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path(id): Path<String>,
) -> Response {
    let caller = match v.require(
        &format!("/portal/applications/{id}/edit"),
        &[Role::Applicant],
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let answer =
        Answer::of(crate::workflow::get(State(s.clone()), caller, Path(id.clone())).await).await;
    if !answer.ok() {
        return v.refusal(answer.status, &answer.detail());
    }
    let app = &answer.body["application"];
    if app["stage"] != "draft" {
        // Only a draft changes; the page of the application says where it is.
        return see_other(&format!("/portal/applications/{id}"));
    }
    let mut f = Filled::new(values_of(
        &app["request"],
        app["holder"].as_str().unwrap_or(""),
        &id,
    ));
    file_problems(&mut f, &answer.body);
    show(&s, &v, StatusCode::OK, &f)
}

fn file_problems(f: &mut Filled, body: &Value) {
    for p in body["problems"].as_array().into_iter().flatten() {
        f.add(
            p["box"].as_str().unwrap_or("?"),
            p["block"].as_str(),
            p["message"].as_str().unwrap_or("").to_owned(),
        );
    }
}

/// Fills appendix and kingdom of blocks whose scientific name the checklist knows (the form
/// lists the taxa the lookup field names whenever it is shown).
fn look_up(s: &AppState, f: &mut Filled) {
    for id in BLOCKS {
        let name = f.value(&format!("b{id}_scientific_name")).trim().to_owned();
        if name.is_empty() {
            continue;
        }
        let found = s.species.search(&name, 1);
        let Some(taxon) = found.first().filter(|t| t.name.eq_ignore_ascii_case(&name)) else {
            continue;
        };
        let appendix = taxon.listing.split('/').next().unwrap_or("").to_owned();
        let kingdom = Some(super::code(&taxon.kingdom)).filter(|k| !k.is_empty());
        let appendix_field = format!("b{id}_appendix");
        if f.value(&appendix_field).is_empty() && APPENDICES.contains(&appendix.as_str()) {
            f.values.insert(appendix_field, appendix);
        }
        if let Some(k) = kingdom {
            f.values.insert(format!("b{id}_kingdom"), k);
        }
    }
}

/// `POST /portal/applications/new`: looks up species, saves the draft (new or amended), and
/// submits it when asked; anything wrong comes back next to its field.
pub async fn save(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    let caller = match v.require_form("/portal/applications/new", &[Role::Applicant], &form) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut values = form.fields().clone();
    values.remove("csrf");
    let intent = values.remove("intent").unwrap_or_else(|| "save".into());
    let mut f = Filled::new(values);
    if intent == "lookup" {
        look_up(&s, &mut f);
        return show(&s, &v, StatusCode::OK, &f);
    }
    let id = f.value("id").to_owned();
    let base = if id.is_empty() {
        Value::Null
    } else {
        let stored = Answer::of(
            crate::workflow::get(State(s.clone()), caller.clone(), Path(id.clone())).await,
        )
        .await;
        if !stored.ok() {
            return v.refusal(stored.status, &stored.detail());
        }
        stored.body["application"]["request"].clone()
    };
    let Some(request) = request_of(&v, &mut f, &base) else {
        return show(&s, &v, StatusCode::BAD_REQUEST, &f);
    };
    let saved = if id.is_empty() {
        let body = crate::workflow::NewApplication {
            holder: f.value("holder").trim().to_owned(),
            request,
        };
        crate::workflow::create(
            State(s.clone()),
            caller.clone(),
            v.info.clone(),
            JsonBody(body),
        )
        .await
    } else {
        crate::workflow::amend(
            State(s.clone()),
            caller.clone(),
            v.info.clone(),
            Path(id.clone()),
            JsonBody(crate::workflow::Amend { request }),
        )
        .await
    };
    let saved = Answer::of(saved).await;
    if !saved.ok() {
        let detail = saved.detail();
        if detail.starts_with("holder") {
            f.problems.entry("holder".into()).or_default().push(detail);
        } else {
            f.general.push(detail);
        }
        return show(&s, &v, saved.status, &f);
    }
    let id = saved.body["application"]["id"]
        .as_str()
        .unwrap_or(&id)
        .to_owned();
    f.values.insert("id".into(), id.clone());
    if intent == "submit" {
        let submitted = Answer::of(
            crate::workflow::act(
                State(s.clone()),
                caller,
                v.info.clone(),
                Path((id.clone(), "submit".into())),
                Bytes::new(),
            )
            .await,
        )
        .await;
        if submitted.ok() {
            return see_other(&format!("/portal/applications/{id}?done=submit"));
        }
        file_problems(&mut f, &submitted.body);
        if f.problems.is_empty() && f.general.is_empty() {
            f.general.push(submitted.detail());
        }
        f.notice = Some(Msg::DraftSavedNotSubmitted);
        return show(&s, &v, StatusCode::UNPROCESSABLE_ENTITY, &f);
    }
    file_problems(&mut f, &saved.body);
    if f.problems.is_empty() && f.general.is_empty() {
        return see_other(&format!("/portal/applications/{id}?done=save"));
    }
    f.notice = Some(Msg::DraftSaved);
    show(&s, &v, StatusCode::OK, &f)
}

/// `POST /portal/applications/{id}/documents` (multipart: `csrf`, `file`): a supporting
/// document, checked and kept by the API's rules.
pub async fn attach(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let path = format!("/portal/applications/{id}");
    let (mut csrf, mut file) = (String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, bytes)),
                        Err(e) => return v.refusal(e.status(), &e.body_text()),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return v.refusal(e.status(), &e.body_text()),
        }
    }
    let caller = match v.require_token(&path, &[Role::Applicant], &csrf) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return see_other(&format!("{path}?done=no-file"));
    };
    match crate::documents::add(&s, &caller, &v.info, &id, &name, &bytes).await {
        Ok(_) => see_other(&format!("{path}?done=document")),
        Err(r) => {
            let answer = Answer::of(r).await;
            v.refusal(answer.status, &answer.detail())
        }
    }
}

/// `GET /portal/applications/{id}/documents/{n}`: the file, for whoever may read the
/// application.
pub async fn document(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((id, n)): Path<(String, u32)>,
) -> Response {
    let caller = match v.require(
        &format!("/portal/applications/{id}"),
        &super::workflow::READERS,
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    crate::documents::download(State(s), caller, Path((id, n))).await
}
