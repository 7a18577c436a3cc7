use super::*;

/// The intake form as posted (flat, works without JavaScript).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct IntakeForm {
    #[serde(default)]
    pub case_type: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub mission: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub reporter_contact: String,
    /// An existing person chosen (from the duplicate warning or a search).
    #[serde(default)]
    pub person_id: String,
    /// A new person's name, birth and passport (checked for duplicates first).
    #[serde(default)]
    pub person_name: String,
    #[serde(default)]
    pub person_birth: String,
    #[serde(default)]
    pub person_passport: String,
    /// `1` after the officer saw the duplicate warning and chose to create a new person.
    #[serde(default)]
    pub confirm_new: String,
    /// Everything else posted: the chosen type's own fields come as `details.<key>`.
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, String>,
}

impl IntakeForm {
    /// The type's own fields as posted (`details.<key>`), only that type's keys: a field of
    /// another type (left in the form after the type changed) is ignored.
    fn details(&self, ty: &CaseType) -> std::collections::BTreeMap<String, String> {
        ty.fields
            .iter()
            .filter_map(|f| {
                self.rest
                    .get(&format!("details.{}", f.key))
                    .map(|v| (f.key.clone(), v.clone()))
            })
            .collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/case_new.html")]
pub struct IntakePage {
    pub c: Chrome,
    pub f: IntakeForm,
    pub types: Vec<Opt>,
    pub countries: Vec<Opt>,
    /// The mission choices, those covering the chosen country first.
    pub mission_choice: MissionChoice,
    pub errors: Vec<(String, String)>,
    /// Likely existing persons for the new person typed (the duplicate warning), with why.
    pub duplicates: Vec<crate::dupes::warning::LikelyView>,
    /// The warning came from the text search (the matcher was not ready).
    pub dup_by_text: bool,
    /// The chosen type's own fields with the values typed and their errors (empty until a
    /// type is chosen; htmx fills the block from `GET /cases/new/fields` meanwhile).
    pub type_fields: Vec<DetailRow>,
}

impl IntakePage {
    pub fn err(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, k)| self.c.t.s(k).to_owned())
            .unwrap_or_default()
    }
}

pub(super) fn intake_page(
    c: Chrome,
    f: IntakeForm,
    errors: Vec<(String, String)>,
    duplicates: Vec<crate::dupes::warning::LikelyView>,
) -> IntakePage {
    let lang = c.t.lang;
    let label = |vi: &str, en: &str| {
        if lang == Lang::Vi {
            vi.to_owned()
        } else {
            en.to_owned()
        }
    };
    let countries = crate::i18n::country_options(lang);
    let mission_choice = MissionChoice::new(lang, &f.country, &f.mission, true);
    let types = case_types()
        .iter()
        .map(|t: &CaseType| Opt {
            value: t.code.clone(),
            label: label(&t.name_vi, &t.name_en),
        })
        .collect();
    let type_fields = match case_type(f.case_type.trim()) {
        Some(ty) => {
            let mut rows = detail_rows(lang, ty, &f.details(ty));
            for r in &mut rows {
                let field = format!("details.{}", r.key);
                if let Some((_, key)) = errors.iter().find(|(name, _)| *name == field) {
                    r.error = c.t.s(key).to_owned();
                }
            }
            rows
        }
        None => vec![],
    };
    IntakePage {
        c,
        f,
        types,
        countries,
        mission_choice,
        errors,
        duplicates,
        dup_by_text: false,
        type_fields,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewCaseQuery {
    /// A case type to preselect (its own fields shown); an unknown code is ignored.
    #[serde(default)]
    pub case_type: String,
}

/// `GET /cases/new` (`?case_type=` preselects a type)
pub async fn new_page(c: Chrome, caller: Caller, Query(q): Query<NewCaseQuery>) -> IntakePage {
    let mut f = IntakeForm {
        priority: "normal".into(),
        channel: "hotline".into(),
        case_type: case_type(q.case_type.trim())
            .map(|t| t.code.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    if caller.account().agency.kind == AgencyKind::Mission {
        f.mission = caller.account().agency.code.clone();
        f.channel = "mission".into();
        if let Some(m) = refdata::mission(&f.mission) {
            f.country = m.country.clone();
        }
    }
    intake_page(c, f, vec![], vec![])
}

#[derive(Debug, Default, Deserialize)]
pub struct TypeFieldsQuery {
    #[serde(default)]
    pub case_type: String,
}

/// The intake form's block of one type's own fields (`type_fields.html`).
#[derive(Template, WebTemplate)]
#[template(path = "cases/type_fields.html")]
pub struct TypeFieldsT {
    pub c: Chrome,
    pub type_fields: Vec<DetailRow>,
}

/// `GET /cases/new/fields?case_type=`: the block of that type's own fields, empty inputs,
/// which htmx swaps into the intake form when the type changes. No type: an empty block;
/// an unknown type: 404.
pub async fn type_fields_fragment(
    c: Chrome,
    Query(q): Query<TypeFieldsQuery>,
) -> Result<TypeFieldsT, AppError> {
    let code = q.case_type.trim();
    let type_fields = if code.is_empty() {
        vec![]
    } else {
        let ty = case_type(code).ok_or(AppError::NotFound)?;
        detail_rows(c.t.lang, ty, &Default::default())
    };
    Ok(TypeFieldsT { c, type_fields })
}

/// The intake form's mission choices for a country: the missions that cover it (its host
/// country or a concurrent accreditation) first, then all others; the only covering mission is
/// chosen when none was.
pub struct MissionChoice {
    /// The country's name, for the first group's label (empty: no country chosen).
    pub country: String,
    pub covering: Vec<Opt>,
    pub others: Vec<Opt>,
    pub chosen: String,
}

impl MissionChoice {
    /// `keep`: keep a chosen mission that does not cover the country (a form coming back
    /// shows what was sent, beside its error); otherwise (the country just changed) it is
    /// dropped for the country's own.
    pub fn new(lang: Lang, country: &str, chosen: &str, keep: bool) -> Self {
        let country = country.trim().to_ascii_uppercase();
        let covers =
            |code: &str| refdata::mission(code).is_some_and(|m| m.jurisdiction.contains(&country));
        let (covering, others): (Vec<Opt>, Vec<Opt>) = crate::i18n::mission_options(lang)
            .into_iter()
            .partition(|o| !country.is_empty() && covers(&o.value));
        let chosen = chosen.trim().to_ascii_uppercase();
        let chosen = if chosen.is_empty() || (!keep && !covers(&chosen)) {
            match covering.as_slice() {
                [only] => only.value.clone(),
                _ => String::new(),
            }
        } else {
            chosen
        };
        Self {
            country: if covering.is_empty() {
                String::new()
            } else {
                country_name(lang, &country)
            },
            covering,
            others,
            chosen,
        }
    }
}

/// The options of the intake form's mission select (`mission_options.html`).
#[derive(Template, WebTemplate)]
#[template(path = "cases/mission_options.html")]
pub struct MissionOptionsT {
    pub c: Chrome,
    pub mission_choice: MissionChoice,
}

#[derive(Debug, Deserialize, Default)]
pub struct MissionOptionsQuery {
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub mission: String,
}

/// `GET /cases/new/missions?country=&mission=`: the mission select's options for that
/// country, which htmx swaps in when the country changes (the missions covering it first).
pub async fn mission_options_fragment(
    c: Chrome,
    Query(q): Query<MissionOptionsQuery>,
) -> MissionOptionsT {
    let mission_choice = MissionChoice::new(c.t.lang, &q.country, &q.mission, false);
    MissionOptionsT { c, mission_choice }
}

/// Likely existing persons for the person typed at intake, in the officer's scope: the
/// matcher's candidates (the text search until it is ready) and exact passport hits.
pub(super) async fn duplicate_candidates(
    caller: &Caller,
    persons: &baoho_store::Persons,
    f: &IntakeForm,
) -> Result<crate::dupes::warning::Warning, AppError> {
    let probe = crate::dupes::Probe {
        name: f.person_name.clone(),
        birth: baoho_domain::date::PartialDate::parse(&f.person_birth).ok(),
        passport: f.person_passport.clone(),
        ..Default::default()
    };
    crate::dupes::warning::check(caller.dupes(), persons, &probe).await
}

/// `POST /cases`: record the case. A new person is checked against the registry first: if
/// likely existing persons are found, the form comes back with them (the duplicate warning)
/// until the officer picks one or confirms a new person.
pub async fn create_submit(
    caller: Caller,
    c: Chrome,
    Form(f): Form<IntakeForm>,
) -> Result<Response, AppError> {
    // The chosen type's own fields, only (another type's, left in the form, are dropped).
    let details = case_type(f.case_type.trim())
        .map(|ty| f.details(ty))
        .unwrap_or_default();
    // Everything the case itself needs (its type's fields included) is checked before a new
    // person is recorded for it: a refused case must not leave a person behind (a second try
    // would record a second one).
    let h = caller.cases("intake");
    let intake_of = |f: &IntakeForm, persons: Vec<String>| CaseIntake {
        case_type: f.case_type.clone(),
        priority: f.priority.clone(),
        channel: f.channel.clone(),
        country: f.country.clone(),
        city: f.city.clone(),
        mission: f.mission.clone(),
        summary: f.summary.clone(),
        reporter: f.reporter.clone(),
        reporter_contact: f.reporter_contact.clone(),
        persons,
        details: details.clone(),
    };
    let refused = |c: Chrome, f: IntakeForm, errs: Vec<baoho_domain::person::FieldError>| {
        let errs = errs
            .into_iter()
            .map(|e| (e.field, e.code.to_owned()))
            .collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            intake_page(c, f, errs, vec![]),
        )
            .into_response()
    };
    match h.check_intake(&intake_of(&f, vec![])) {
        Ok(()) => {}
        Err(StoreError::Validation(errs)) => return Ok(refused(c, f, errs)),
        Err(e) => return Err(e.into()),
    }
    let persons = caller.persons("case intake");
    let mut person_ids = Vec::new();
    let mut f = f;
    if !f.person_id.trim().is_empty() {
        person_ids.push(f.person_id.trim().to_owned());
    } else if !f.person_name.trim().is_empty() {
        if f.confirm_new != "1" {
            let w = duplicate_candidates(&caller, &persons, &f).await?;
            if !w.candidates.is_empty() {
                let mut f2 = f.clone();
                f2.confirm_new.clear();
                let views = crate::dupes::warning::views(c.t, &w);
                let mut page = intake_page(c, f2, vec![], views);
                page.dup_by_text = w.method == crate::dupes::warning::Method::TextSearch;
                return Ok((StatusCode::OK, page).into_response());
            }
        }
        let birth = match f.person_birth.trim() {
            "" => None,
            b => match baoho_domain::date::PartialDate::parse(b) {
                Ok(d) => Some(d),
                Err(_) => {
                    let errs = vec![("person_birth".to_owned(), "person.error.date".to_owned())];
                    return Ok((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        intake_page(c, f, errs, vec![]),
                    )
                        .into_response());
                }
            },
        };
        let mut input = PersonInput {
            full_name: f.person_name.clone(),
            birth,
            country: f.country.clone(),
            mission: f.mission.clone(),
            ..Default::default()
        };
        if !f.person_passport.trim().is_empty() {
            input.documents.push(Document {
                kind: DocumentKind::Passport,
                number: f.person_passport.clone(),
                issuing_country: "VN".into(),
                issued_by: String::new(),
                issued_on: None,
                expires_on: None,
            });
        }
        if let Some(ty) = case_type(&f.case_type) {
            input.restricted = ty.restricted.clone();
        }
        match persons.create(input).await {
            Ok(p) => {
                caller.dupes().add(&p);
                // Should the case still be refused, the form comes back holding this person,
                // so that the next try links them instead of recording them again.
                f.person_id = p.id.clone();
                person_ids.push(p.id);
            }
            Err(StoreError::Validation(errs)) => {
                let errs = errs
                    .into_iter()
                    .map(|e| {
                        let field = match e.field.as_str() {
                            "full_name" => "person_name".to_owned(),
                            f if f.starts_with("documents") => "person_passport".to_owned(),
                            f => f.to_owned(),
                        };
                        (field, e.code.to_owned())
                    })
                    .collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    intake_page(c, f, errs, vec![]),
                )
                    .into_response());
            }
            Err(e) => return Err(e.into()),
        }
    }
    match h.create(intake_of(&f, person_ids)).await {
        Ok(rec) => Ok(Redirect::to(&format!("/cases/{}", rec.summary.id)).into_response()),
        Err(StoreError::Validation(errs)) => Ok(refused(c, f, errs)),
        Err(e) => Err(e.into()),
    }
}

/// Record a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", operation_id = "cases_create", request_body = CaseIntake,
    responses((status = 201, body = CaseRecord), (status = 422, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_create(
    caller: Caller,
    Json(intake): Json<CaseIntake>,
) -> Result<Response, AppError> {
    let rec = caller.cases("intake").create(intake).await?;
    let loc = format!("/api/v1/cases/{}", rec.summary.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, loc)], Json(rec)).into_response())
}

/// The case types with their checklists and deadlines.
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases",
    responses((status = 200, body = Vec<CaseType>)))]
pub async fn api_case_types() -> Json<Vec<CaseType>> {
    Json(case_types().to_vec())
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::INTAKE;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::POST, "/cases", Staff, create_submit),
        Route::page(Method::GET, "/cases/new", INTAKE, new_page),
        Route::page(
            Method::GET,
            "/cases/new/fields",
            INTAKE,
            type_fields_fragment,
        ),
        Route::page(
            Method::GET,
            "/cases/new/missions",
            INTAKE,
            mission_options_fragment,
        ),
        Route::api(Staff, routes!(api_case_types)),
        Route::api(Staff, routes!(api_create)),
    ]
}
