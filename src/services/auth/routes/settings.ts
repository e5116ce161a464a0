import type { AuthRoute } from "./route.js";

/** The OAuth providers GoTrue lists in `/settings`; those configured and served read true. */
const EXTERNAL_PROVIDERS = [
  "apple",
  "azure",
  "bitbucket",
  "discord",
  "facebook",
  "snapchat",
  "figma",
  "fly",
  "github",
  "gitlab",
  "google",
  "keycloak",
  "kakao",
  "linkedin",
  "linkedin_oidc",
  "notion",
  "spotify",
  "slack",
  "slack_oidc",
  "workos",
  "twitch",
  "twitter",
  "zoom",
] as const;

/** `GET /settings` (reference/auth.md §8), from the config. */
export const settingsRoute: AuthRoute = (scope, runtime) => {
  const auth = runtime.config.auth;
  const body = {
    external: {
      anonymous_users: auth.enableAnonymousSignIns,
      ...Object.fromEntries(
        EXTERNAL_PROVIDERS.map((provider) => [provider, Object.hasOwn(auth.external, provider)]),
      ),
      ...Object.fromEntries(Object.keys(auth.external).map((provider) => [provider, true])),
      // The Supabase CLI maps [auth.email] enable_signup onto GoTrue's email provider switch.
      email: auth.email.enableSignup,
      // Likewise [auth.sms] enable_signup onto the phone provider's.
      phone: auth.sms.enableSignup,
    },
    disable_signup: !auth.enableSignup,
    mailer_autoconfirm: runtime.autoconfirm,
    phone_autoconfirm: !auth.sms.enableConfirmations,
    sms_provider: "twilio",
    saml_enabled: false,
    saml_private_key_next_configured: false,
    passkeys_enabled: false,
  };
  scope.get("/settings", async () => body);
};
