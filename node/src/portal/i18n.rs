//! The portal's words in the three CITES languages.
//!
//! One enum of messages, each with its English, French and Spanish text side by side: the
//! compiler refuses a message without all three, and a translator sees each sentence in every
//! language at once. Data from elsewhere (species names, the rules' explanations, names of
//! people and firms) is shown as it comes.

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Lang {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// Its name, in itself.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }

    /// The language a code names (`fr`, `fr-CA`, `ES`).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The first of the browser's languages the portal speaks (RFC 9110 `Accept-Language`,
    /// by weight).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable: equal weights keep the browser's order.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|r| r.1)
    }
}

macro_rules! catalogue {
    ($($name:ident => $en:literal, $fr:literal, $es:literal;)*) => {
        /// A message of the portal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($name),* }

        impl Msg {
            /// Every message.
            #[cfg(test)]
            pub const ALL: &[Msg] = &[$(Msg::$name),*];

            fn texts(self) -> [&'static str; 3] {
                match self { $(Msg::$name => [$en, $fr, $es]),* }
            }
        }
    };
}

impl Msg {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let [en, fr, es] = self.texts();
        match lang {
            Lang::En => en,
            Lang::Fr => fr,
            Lang::Es => es,
        }
    }
}

catalogue! {
    Portal => "CITES permits", "Permis CITES", "Permisos CITES";
    SkipToContent => "Skip to content", "Aller au contenu", "Ir al contenido";
    Menu => "Menu", "Menu", "Menú";
    Language => "Language", "Langue", "Idioma";
    Change => "Change", "Changer", "Cambiar";
    LogIn => "Log in", "Se connecter", "Iniciar sesión";
    LogOut => "Log out", "Se déconnecter", "Cerrar sesión";
    Username => "Username", "Nom d'utilisateur", "Usuario";
    Password => "Password", "Mot de passe", "Contraseña";
    WrongLogin => "Unknown username or wrong password.", "Nom d'utilisateur inconnu ou mot de passe erroné.", "Usuario desconocido o contraseña incorrecta.";
    LockedOut => "Too many failed attempts: try again in a quarter of an hour.", "Trop de tentatives échouées : réessayez dans un quart d'heure.", "Demasiados intentos fallidos: vuelva a intentarlo dentro de un cuarto de hora.";
    FormExpired => "This form has expired. Open the page again and resend it.", "Ce formulaire a expiré. Rouvrez la page et renvoyez-le.", "Este formulario ha caducado. Abra de nuevo la página y vuelva a enviarlo.";
    NotForYourRole => "Your role does not give access to this page.", "Votre rôle ne donne pas accès à cette page.", "Su función no da acceso a esta página.";
    NotPossible => "Not possible", "Impossible", "No es posible";
    BackToStart => "Back to the start", "Retour à l'accueil", "Volver al inicio";
    UnknownLanguage => "Choose English, French or Spanish.", "Choisissez l'anglais, le français ou l'espagnol.", "Elija inglés, francés o español.";
    RoleApplicant => "applicant", "demandeur", "solicitante";
    RoleMaOfficer => "Management Authority officer", "agent de l'organe de gestion", "funcionario de la Autoridad Administrativa";
    RoleSaOfficer => "Scientific Authority officer", "agent de l'autorité scientifique", "funcionario de la Autoridad Científica";
    RoleCustomsOfficer => "customs officer", "agent des douanes", "funcionario de aduanas";
    RoleAuditor => "auditor", "auditeur", "auditor";
    RoleAdmin => "administrator", "administrateur", "administrador";
    MyApplications => "My applications", "Mes demandes", "Mis solicitudes";
    NewApplication => "New application", "Nouvelle demande", "Nueva solicitud";
    Applications => "Applications", "Demandes", "Solicitudes";
    Queue => "Decisions to take", "Décisions à prendre", "Decisiones pendientes";
    AdviceQueue => "Advice to give", "Avis à rendre", "Dictámenes pendientes";
    QueueExplained => "Applications waiting for you, oldest first.", "Demandes qui vous attendent, les plus anciennes d'abord.", "Solicitudes que le esperan, las más antiguas primero.";
    Dashboard => "Dashboard", "Tableau de bord", "Panel";
    BorderCheck => "Border check", "Contrôle frontalier", "Control fronterizo";
    Network => "Network", "Réseau", "Red";
    NothingHere => "Nothing here yet.", "Rien pour l'instant.", "Nada por ahora.";
    Application => "Application", "Demande", "Solicitud";
    DocumentType => "Document type", "Type de document", "Tipo de documento";
    Importer => "Importer", "Importateur", "Importador";
    Exporter => "Exporter", "Exportateur", "Exportador";
    Species => "Species", "Espèce", "Especie";
    Stage => "Stage", "Étape", "Etapa";
    Status => "Status", "Statut", "Estado";
    StageDraft => "draft", "brouillon", "borrador";
    StageSubmitted => "submitted", "soumise", "presentada";
    StageAwaitingAdvice => "awaiting the Scientific Authority", "en attente de l'autorité scientifique", "en espera de la Autoridad Científica";
    StageAdvised => "advised", "avis rendu", "dictamen emitido";
    StageApproved => "approved", "approuvée", "aprobada";
    StageIssued => "issued", "délivrée", "expedida";
    StageRefused => "refused", "refusée", "denegada";
    StageWithdrawn => "withdrawn", "retirée", "retirada";
    StatusIssued => "issued", "délivré", "expedido";
    StatusEndorsed => "endorsed at export", "visé à l'exportation", "refrendado en la exportación";
    StatusImportConfirmed => "import confirmed", "importation confirmée", "importación confirmada";
    StatusCancelled => "cancelled", "annulé", "anulado";
    StatusReplaced => "replaced", "remplacé", "sustituido";
    StatusSuspended => "suspended", "suspendu", "suspendido";
    StatusExpired => "expired", "expiré", "caducado";
    DocExportPermit => "Export permit", "Permis d'exportation", "Permiso de exportación";
    DocImportPermit => "Import permit", "Permis d'importation", "Permiso de importación";
    DocReExport => "Re-export certificate", "Certificat de réexportation", "Certificado de reexportación";
    DocOrigin => "Certificate of origin", "Certificat d'origine", "Certificado de origen";
    DocSea => "Certificate of introduction from the sea", "Certificat d'introduction en provenance de la mer", "Certificado de introducción procedente del mar";
    DocPreConvention => "Pre-Convention certificate", "Certificat pré-Convention", "Certificado preconvención";
    DocCaptiveBreeding => "Captive-breeding certificate", "Certificat d'élevage en captivité", "Certificado de cría en cautividad";
    DocExhibition => "Travelling-exhibition certificate", "Certificat d'exposition itinérante", "Certificado de exhibición itinerante";
    DocInstrument => "Musical-instrument certificate", "Certificat d'instrument de musique", "Certificado de instrumento musical";
    DocOwnership => "Certificate of ownership", "Certificat de propriété", "Certificado de propiedad";
    ValidUntil => "Valid until", "Valable jusqu'au", "Válido hasta";
    ValidUntilOptional => "Last day of validity (optional: the longest allowed)", "Dernier jour de validité (facultatif : la plus longue autorisée)", "Último día de validez (opcional: el más largo permitido)";
    Purpose => "Purpose of the transaction", "But de la transaction", "Propósito de la transacción";
    PurposeT => "commercial", "commercial", "comercial";
    PurposeZ => "zoo", "zoo", "zoológico";
    PurposeG => "botanical garden", "jardin botanique", "jardín botánico";
    PurposeQ => "circus or travelling exhibition", "cirque ou exposition itinérante", "circo o exhibición itinerante";
    PurposeS => "scientific", "scientifique", "científico";
    PurposeH => "hunting trophy", "trophée de chasse", "trofeo de caza";
    PurposeP => "personal", "personnel", "personal";
    PurposeM => "medical", "médical", "médico";
    PurposeE => "educational", "éducatif", "educativo";
    PurposeN => "reintroduction to the wild", "réintroduction dans la nature", "reintroducción en el medio silvestre";
    PurposeB => "breeding in captivity", "élevage en captivité", "cría en cautividad";
    PurposeL => "law enforcement", "application de la loi", "aplicación de la ley";
    LiveTransport => "Live animals: transported under the IATA Live Animals Regulations", "Animaux vivants : transportés selon la réglementation IATA", "Animales vivos: transportados según la reglamentación de la IATA";
    Name => "Name", "Nom", "Nombre";
    Address => "Address", "Adresse", "Dirección";
    CountryCode => "Country (ISO code, e.g. DE)", "Pays (code ISO, p. ex. DE)", "País (código ISO, p. ej. DE)";
    WalletDid => "Your wallet's identifier (did:key)", "L'identifiant de votre portefeuille (did:key)", "El identificador de su cartera (did:key)";
    WalletDidHint => "The permit is issued to this wallet. The command-line wallet shows its identifier with: cites-wallet did", "Le permis est délivré à ce portefeuille. Le portefeuille en ligne de commande affiche son identifiant avec : cites-wallet did", "El permiso se expide a esta cartera. La cartera de línea de comandos muestra su identificador con: cites-wallet did";
    SpeciesLookup => "Species checklist", "Liste des espèces", "Lista de especies";
    SpeciesLookupHint => "Scientific or common name (beginning)", "Nom scientifique ou commun (début)", "Nombre científico o común (comienzo)";
    LookUp => "Look up", "Chercher", "Buscar";
    NoTaxon => "No listed taxon has this name.", "Aucun taxon inscrit ne porte ce nom.", "Ningún taxón incluido tiene este nombre.";
    CommonNames => "Common names", "Noms communs", "Nombres comunes";
    Block => "Block", "Bloc", "Bloque";
    ScientificName => "Scientific name", "Nom scientifique", "Nombre científico";
    CommonName => "Common name (optional)", "Nom commun (facultatif)", "Nombre común (opcional)";
    Kingdom => "Kingdom", "Règne", "Reino";
    Description => "Description of the specimens", "Description des spécimens", "Descripción de los especímenes";
    TermCode => "Term (code, e.g. LIV)", "Terme (code, p. ex. LIV)", "Término (código, p. ej. LIV)";
    Appendix => "Appendix", "Annexe", "Apéndice";
    AppendixSource => "Appendix / source", "Annexe / source", "Apéndice / origen";
    Source => "Source (code)", "Source (code)", "Origen (código)";
    Quantity => "Quantity", "Quantité", "Cantidad";
    UnitCode => "Unit (code; empty: number of specimens)", "Unité (code ; vide : nombre de spécimens)", "Unidad (código; vacío: número de especímenes)";
    SaveDraft => "Save the draft", "Enregistrer le brouillon", "Guardar el borrador";
    SaveAndSubmit => "Save and submit", "Enregistrer et soumettre", "Guardar y presentar";
    FixProblems => "Some boxes need your attention: see the messages next to them.", "Certaines cases demandent votre attention : voyez les messages à côté.", "Algunas casillas requieren su atención: vea los mensajes junto a ellas.";
    OneBlockNeeded => "Name at least one species (block A).", "Indiquez au moins une espèce (bloc A).", "Indique al menos una especie (bloque A).";
    DraftSaved => "Draft saved. Fix the problems below before you submit it.", "Brouillon enregistré. Corrigez les problèmes ci-dessous avant de le soumettre.", "Borrador guardado. Corrija los problemas siguientes antes de presentarlo.";
    DraftSavedNotSubmitted => "Draft saved but not submitted: fix the problems below first.", "Brouillon enregistré mais non soumis : corrigez d'abord les problèmes ci-dessous.", "Borrador guardado pero no presentado: corrija primero los problemas siguientes.";
    Box => "Box", "Case", "Casilla";
    Problem => "Problem", "Problème", "Problema";
    ProblemsByBox => "Problems by box", "Problèmes par case", "Problemas por casilla";
    NoProblems => "No rule of the standard form is broken.", "Aucune règle du formulaire type n'est enfreinte.", "No se infringe ninguna regla del formulario normalizado.";
    ChecklistAndQuota => "Checklist and quota", "Liste des espèces et quota", "Lista de especies y cupo";
    Quota => "Export quota", "Quota d'exportation", "Cupo de exportación";
    QuotaFits => "within the quota", "dans le quota", "dentro del cupo";
    NeedsAdvice => "Needs a non-detriment finding of the Scientific Authority.", "Nécessite un avis de commerce non préjudiciable de l'autorité scientifique.", "Requiere un dictamen de extracción no perjudicial de la Autoridad Científica.";
    NonDetrimentFinding => "Non-detriment finding", "Avis de commerce non préjudiciable", "Dictamen de extracción no perjudicial";
    Favourable => "favourable", "favorable", "favorable";
    Unfavourable => "unfavourable", "défavorable", "desfavorable";
    Finding => "Finding (the reasons)", "Avis (les motifs)", "Dictamen (los motivos)";
    GiveAdvice => "Give the advice", "Rendre l'avis", "Emitir el dictamen";
    FindingNeeded => "Write the finding.", "Rédigez l'avis.", "Redacte el dictamen.";
    Fee => "Fee", "Redevance", "Tasa";
    Paid => "paid", "payée", "pagada";
    NotPaid => "not paid yet", "pas encore payée", "aún no pagada";
    RefusalReason => "Reason for refusal", "Motif du refus", "Motivo de la denegación";
    ReasonNeeded => "Give the reason.", "Indiquez le motif.", "Indique el motivo.";
    WhatYouCanDo => "What you can do", "Ce que vous pouvez faire", "Lo que puede hacer";
    History => "History", "Historique", "Historial";
    Edit => "Edit", "Modifier", "Modificar";
    Submit => "Submit", "Soumettre", "Presentar";
    Withdraw => "Withdraw", "Retirer", "Retirar";
    RequestAdvice => "Ask the Scientific Authority", "Consulter l'autorité scientifique", "Consultar a la Autoridad Científica";
    Approve => "Approve", "Approuver", "Aprobar";
    Refuse => "Refuse", "Refuser", "Denegar";
    RecordPayment => "Record the payment", "Enregistrer le paiement", "Registrar el pago";
    PaymentReference => "Payment reference", "Référence du paiement", "Referencia del pago";
    AmountPaid => "Amount paid", "Montant payé", "Importe pagado";
    AmountUnreadable => "Write the amount as a number, e.g. 50.00.", "Écrivez le montant en chiffres, p. ex. 50.00.", "Escriba el importe en cifras, p. ej. 50.00.";
    ReferenceNeeded => "Give the payment reference.", "Indiquez la référence du paiement.", "Indique la referencia del pago.";
    Issue => "Issue the permit", "Délivrer le permis", "Expedir el permiso";
    Securing => "Signature format", "Format de signature", "Formato de firma";
    NodeDefault => "the node's default", "celui du nœud", "el del nodo";
    OpenPermit => "Open the permit", "Ouvrir le permis", "Abrir el permiso";
    DoneSaved => "Draft saved.", "Brouillon enregistré.", "Borrador guardado.";
    DoneSubmitted => "Submitted to the Management Authority.", "Soumise à l'organe de gestion.", "Presentada a la Autoridad Administrativa.";
    DoneAdviceRequested => "Sent to the Scientific Authority.", "Transmise à l'autorité scientifique.", "Enviada a la Autoridad Científica.";
    DoneAdvised => "Advice given.", "Avis rendu.", "Dictamen emitido.";
    DoneApproved => "Approved.", "Approuvée.", "Aprobada.";
    DoneRefused => "Refused.", "Refusée.", "Denegada.";
    DonePaid => "Payment recorded.", "Paiement enregistré.", "Pago registrado.";
    DoneIssued => "The permit was issued and anchored in the log.", "Le permis a été délivré et ancré dans le journal.", "El permiso se expidió y se ancló en el registro.";
    DoneWithdrawn => "Withdrawn.", "Retirée.", "Retirada.";
    DoneCancelled => "Cancelled.", "Annulé.", "Anulado.";
    DoneSuspended => "Suspended.", "Suspendu.", "Suspendido.";
    DoneReinstated => "Reinstated.", "Rétabli.", "Restablecido.";
    DoneEndorsed => "Export endorsed.", "Exportation visée.", "Exportación refrendada.";
    DoneConfirmed => "Import confirmed to the issuing Party.", "Importation confirmée à la Partie émettrice.", "Importación confirmada a la Parte emisora.";
    IssuedBy => "Issued by", "Délivré par", "Expedido por";
    Crossings => "Crossings", "Passages", "Cruces";
    Reference => "Reference", "Référence", "Referencia";
    ReferenceExplained => "Any node of the network verifies this permit by its reference:", "Tout nœud du réseau vérifie ce permis par sa référence :", "Cualquier nodo de la red verifica este permiso por su referencia:";
    WalletOffer => "Receive it in your wallet", "Le recevoir dans votre portefeuille", "Recibirlo en su cartera";
    WalletOfferExplained => "Scan the code with your wallet (OpenID4VCI) and enter the transaction code. The offer is valid for seven days and can be used once.", "Scannez le code avec votre portefeuille (OpenID4VCI) et saisissez le code de transaction. L'offre vaut sept jours et ne sert qu'une fois.", "Escanee el código con su cartera (OpenID4VCI) e introduzca el código de transacción. La oferta vale siete días y se usa una sola vez.";
    TransactionCode => "Transaction code", "Code de transaction", "Código de transacción";
    OfferLink => "The offer as a link", "L'offre sous forme de lien", "La oferta como enlace";
    ShowOffer => "Offer it to the wallet", "L'offrir au portefeuille", "Ofrecerlo a la cartera";
    Suspend => "Suspend", "Suspendre", "Suspender";
    Reinstate => "Reinstate", "Rétablir", "Restablecer";
    Cancel => "Cancel the permit", "Annuler le permis", "Anular el permiso";
    CancelReason => "Reason", "Motif", "Motivo";
    ReasonLost => "lost", "perdu", "perdido";
    ReasonStolen => "stolen", "volé", "robado";
    ReasonDestroyed => "destroyed", "détruit", "destruido";
    ReasonWithdrawn => "withdrawn", "retiré", "retirado";
    ReasonNotUsed => "not used", "non utilisé", "no utilizado";
    ChallengeExplained => "First give the holder a fresh challenge: their wallet signs it, so a copied presentation cannot be replayed.", "Donnez d'abord au titulaire un défi neuf : son portefeuille le signe, et une présentation copiée ne peut pas être rejouée.", "Primero dé al titular un desafío nuevo: su cartera lo firma, así una presentación copiada no puede reutilizarse.";
    NewChallenge => "New challenge", "Nouveau défi", "Nuevo desafío";
    ChallengeForHolder => "Challenge for the holder", "Défi pour le titulaire", "Desafío para el titular";
    Challenge => "Challenge", "Défi", "Desafío";
    Domain => "Domain", "Domaine", "Dominio";
    WalletCommand => "With the command-line wallet:", "Avec le portefeuille en ligne de commande :", "Con la cartera de línea de comandos:";
    CheckPresentation => "Check a presentation", "Vérifier une présentation", "Verificar una presentación";
    CheckFor => "Checked for", "Vérifiée pour", "Verificada para";
    ForExport => "export", "l'exportation", "la exportación";
    ForImport => "import", "l'importation", "la importación";
    ForInspection => "inspection", "l'inspection", "la inspección";
    PastePresentation => "The presentation (the wallet's file, pasted)", "La présentation (le fichier du portefeuille, collé)", "La presentación (el archivo de la cartera, pegado)";
    NotAPresentation => "This is not a presentation: paste the whole file the wallet wrote.", "Ce n'est pas une présentation : collez tout le fichier écrit par le portefeuille.", "Esto no es una presentación: pegue el archivo completo que escribió la cartera.";
    Verify => "Verify", "Vérifier", "Verificar";
    VerdictValid => "Valid: every check passed", "Valide : tous les contrôles sont passés", "Válido: se superaron todos los controles";
    VerdictNotValid => "Not valid: do not accept this permit", "Non valide : n'acceptez pas ce permis", "No válido: no acepte este permiso";
    Check => "Check", "Contrôle", "Control";
    Outcome => "Outcome", "Résultat", "Resultado";
    Why => "Why", "Pourquoi", "Por qué";
    Pass => "pass", "réussi", "superado";
    Fail => "fail", "échec", "fallido";
    NotApplicable => "not applicable", "sans objet", "no aplicable";
    CheckHolderProof => "Signed by the holder", "Signée par le titulaire", "Firmada por el titular";
    CheckChallenge => "Answers our challenge", "Répond à notre défi", "Responde a nuestro desafío";
    CheckHolderBinding => "Presented by the permit's holder", "Présentée par le titulaire du permis", "Presentada por el titular del permiso";
    CheckIssuerSignature => "Signed by the issuer", "Signé par l'émetteur", "Firmado por el emisor";
    CheckIssuerAccredited => "Issuer accredited as Management Authority", "Émetteur accrédité comme organe de gestion", "Emisor acreditado como Autoridad Administrativa";
    CheckKeyValid => "Key valid when issued", "Clé valide à la délivrance", "Clave válida al expedirse";
    CheckAnchored => "Anchored in the issuer's witnessed log", "Ancré dans le journal témoigné de l'émetteur", "Anclado en el registro atestiguado del emisor";
    CheckStatus => "Not revoked, suspended or replaced", "Ni révoqué, ni suspendu, ni remplacé", "No revocado, suspendido ni sustituido";
    CheckValidity => "Within its validity", "Dans sa période de validité", "Dentro de su validez";
    CheckUsage => "Not used up", "Pas épuisé", "No agotado";
    CheckEndorsement => "Endorsed at export", "Visé à l'exportation", "Refrendado en la exportación";
    CheckRules => "Obeys the rules of the standard form", "Respecte les règles du formulaire type", "Cumple las reglas del formulario normalizado";
    CheckFreshness => "Status information recent", "Information de statut récente", "Información de estado reciente";
    EndorseExport => "Endorse the export of", "Viser l'exportation de", "Refrendar la exportación de";
    ConfirmImport => "Confirm the import of", "Confirmer l'importation de", "Confirmar la importación de";
    RecordEndorsement => "Record the endorsement", "Enregistrer le visa", "Registrar el refrendo";
    SendConfirmation => "Confirm to the issuing Party", "Confirmer à la Partie émettrice", "Confirmar a la Parte emisora";
    Register => "Create an account", "Créer un compte", "Crear una cuenta";
    RegisterExplained => "Traders who apply for permits create their account here. Officers' accounts are made by the administrator.", "Les commerçants qui demandent des permis créent ici leur compte. Les comptes des agents sont créés par l'administrateur.", "Los comerciantes que solicitan permisos crean aquí su cuenta. Las cuentas de los funcionarios las crea el administrador.";
    FullName => "Full name or firm", "Nom complet ou raison sociale", "Nombre completo o razón social";
    EmailOptional => "E-mail for notifications (optional)", "Courriel pour les notifications (facultatif)", "Correo electrónico para avisos (opcional)";
    PasswordAgain => "Password again", "Mot de passe (encore)", "Contraseña (otra vez)";
    PasswordsDiffer => "The two passwords differ.", "Les deux mots de passe diffèrent.", "Las dos contraseñas no coinciden.";
    PasswordHint => "At least 12 characters.", "Au moins 12 caractères.", "Al menos 12 caracteres.";
    UsernameHint => "2 to 64 lower-case letters, digits, '.', '_' or '-'.", "2 à 64 lettres minuscules, chiffres, « . », « _ » ou « - ».", "De 2 a 64 letras minúsculas, cifras, «.», «_» o «-».";
    Registered => "Your account was created: log in.", "Votre compte a été créé : connectez-vous.", "Su cuenta se creó: inicie sesión.";
    RegistrationClosed => "This authority makes traders' accounts itself: ask it for one.", "Cette autorité crée elle-même les comptes des commerçants : demandez-lui en un.", "Esta autoridad crea ella misma las cuentas de los comerciantes: pídale una.";
    NoAccountYet => "No account yet?", "Pas encore de compte ?", "¿Aún no tiene cuenta?";
    DownloadPdf => "Printable permit (PDF)", "Permis imprimable (PDF)", "Permiso imprimible (PDF)";
    PrintedNote => "The credential in the holder's wallet is the permit; this page is its printout. Scan the code, or give the reference to any node of the network, to check that it is anchored and still valid.", "Le justificatif dans le portefeuille du titulaire est le permis ; cette page en est l'impression. Scannez le code, ou donnez la référence à tout nœud du réseau, pour vérifier qu'il est ancré et encore valable.", "La credencial en la cartera del titular es el permiso; esta página es su impresión. Escanee el código, o dé la referencia a cualquier nodo de la red, para comprobar que está anclado y sigue siendo válido.";
    Documents => "Supporting documents", "Pièces justificatives", "Documentos justificativos";
    NoDocuments => "No document attached.", "Aucune pièce jointe.", "Ningún documento adjunto.";
    AttachDocument => "Attach a document (PDF, PNG or JPEG, at most 4 MiB)", "Joindre une pièce (PDF, PNG ou JPEG, 4 Mio au plus)", "Adjuntar un documento (PDF, PNG o JPEG, 4 MiB como máximo)";
    Attach => "Attach", "Joindre", "Adjuntar";
    DoneDocument => "Document attached.", "Pièce jointe.", "Documento adjuntado.";
    NoFileChosen => "Choose a file first.", "Choisissez d'abord un fichier.", "Elija primero un archivo.";
    Replace => "Replace the permit", "Remplacer le permis", "Sustituir el permiso";
    ReplaceReason => "Why (printed in box 5 of the replacement)", "Motif (imprimé en case 5 du remplaçant)", "Motivo (impreso en la casilla 5 del sustituto)";
    DoneReplaced => "This is the replacement; the original is marked replaced.", "Voici le permis de remplacement ; l'original est marqué remplacé.", "Este es el sustituto; el original consta como sustituido.";
    TheAuthority => "the Management Authority", "l'organe de gestion", "la Autoridad Administrativa";
    ManagementAuthority => "Management Authority", "Organe de gestion", "Autoridad Administrativa";
    SpecialConditions => "Special conditions", "Conditions spéciales", "Condiciones especiales";
    Unit => "unit", "unité", "unidad";
    Pages => "Pages", "Pages", "Páginas";
    Page => "Page", "Page", "Página";
    PreviousPage => "previous", "précédente", "anterior";
    NextPage => "next", "suivante", "siguiente";
    UsernameTaken => "This username is taken: choose another.", "Ce nom d'utilisateur est pris : choisissez-en un autre.", "Este nombre de usuario ya existe: elija otro.";
    NameNeeded => "Give your name or your firm's.", "Indiquez votre nom ou celui de votre entreprise.", "Indique su nombre o el de su empresa.";
    EmailInvalid => "This is not an e-mail address.", "Ce n'est pas une adresse électronique.", "Esta no es una dirección de correo electrónico.";
    Required => "Fill this in.", "Remplissez ce champ.", "Rellene este campo.";
    HaveAccount => "Already have an account?", "Vous avez déjà un compte ?", "¿Ya tiene una cuenta?";
    ExportedOn => "exported on", "exporté le", "exportado el";
    ImportedOn => "import confirmed on", "importation confirmée le", "importación confirmada el";
    NoSuchPage => "There is no such page.", "Cette page n'existe pas.", "Esta página no existe.";
    Permitted => "Permitted", "Autorisé", "Autorizado";
    QuantityCrossing => "Quantity crossing", "Quantité qui passe", "Cantidad que cruza";
    Port => "Port of export", "Port d'exportation", "Puerto de exportación";
    TransportDocument => "Bill of lading or air waybill (optional)", "Connaissement ou lettre de transport aérien (facultatif)", "Conocimiento de embarque o guía aérea (opcional)";
    NextCheck => "Next check", "Contrôle suivant", "Siguiente control";
    DeclaredHsCode => "HS code on the goods declaration (optional, for the risk flags)", "Code SH de la déclaration en douane (facultatif, pour les signaux de risque)", "Código SA de la declaración de mercancías (opcional, para las alertas de riesgo)";
    RiskFlags => "Look closer (this does not change the verdict)", "À examiner de plus près (le verdict n'en change pas)", "Examinar con más atención (no cambia el veredicto)";
    ThisNode => "This node", "Ce nœud", "Este nodo";
    NoGenesis => "This node is not on a network (no genesis).", "Ce nœud n'est sur aucun réseau (pas de genèse).", "Este nodo no está en ninguna red (sin génesis).";
    Authorities => "Accredited authorities and their keys", "Autorités accréditées et leurs clés", "Autoridades acreditadas y sus claves";
    Role => "Role", "Rôle", "Función";
    Logs => "Logs held", "Journaux détenus", "Registros mantenidos";
    Quorum => "Cosignatures needed", "Cosignatures requises", "Cofirmas necesarias";
    PeersConnected => "peers connected", "pairs connectés", "pares conectados";
    Log => "Log", "Journal", "Registro";
    EntriesHeld => "Entries held", "Entrées détenues", "Entradas mantenidas";
    LatestCheckpoint => "Latest checkpoint", "Dernier point de contrôle", "Último punto de control";
    Cosignatures => "Cosignatures", "Cosignatures", "Cofirmas";
    Behind => "Entries behind", "Entrées en retard", "Entradas de retraso";
    Alerts => "Alerts", "Alertes", "Alertas";
    NoAlerts => "No alert: no log has forked and no permit was confirmed twice.", "Aucune alerte : aucun journal n'a bifurqué et aucun permis n'a été confirmé deux fois.", "Ninguna alerta: ningún registro se ha bifurcado y ningún permiso se confirmó dos veces.";
    When => "When", "Quand", "Cuándo";
    Kind => "Kind", "Type", "Tipo";
    Subject => "About", "Objet", "Objeto";
    Summary => "Summary", "Résumé", "Resumen";
    AuditTrail => "Audit trail", "Piste d'audit", "Registro de auditoría";
    DownloadAudit => "Download the audit trail (CSV)", "Télécharger la piste d'audit (CSV)", "Descargar el registro de auditoría (CSV)";
    NumbersAsCsv => "These numbers as CSV", "Ces chiffres en CSV", "Estas cifras en CSV";
    PermitsByStatus => "Permits by status and year", "Permis par statut et par année", "Permisos por estado y año";
    Year => "Year", "Année", "Año";
    IssuedPerMonth => "Permits issued per month", "Permis délivrés par mois", "Permisos expedidos por mes";
    ProcessingHours => "Mean hours from submission to issuance", "Heures moyennes de la soumission à la délivrance", "Horas medias de la presentación a la expedición";
    TopExporters => "Top exporters", "Principaux exportateurs", "Principales exportadores";
    TopImporters => "Top importers", "Principaux importateurs", "Principales importadores";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_written_in_every_language() {
        for m in Msg::ALL {
            for l in Lang::ALL {
                assert!(!m.text(l).trim().is_empty(), "{m:?} in {l:?}");
            }
        }
    }

    #[test]
    fn the_browser_language_by_weight() {
        assert_eq!(
            Lang::from_accept_language("fr-CH, fr;q=0.9, en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("de, es;q=0.5, en;q=0.4"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::from_accept_language("de, ja"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, es"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr;q=abc, en"), Some(Lang::En));
        assert_eq!(Lang::parse("ES"), Some(Lang::Es));
        assert_eq!(Lang::parse(""), None);
    }
}
