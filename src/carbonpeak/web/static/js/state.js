// What the dashboard keeps in memory (never in storage: the CSRF token lives in api.js).

export const session = {
  /** the signed-in user from /auth/login or /auth/me */
  user: null,
  /** set when a request answered 401 while signed in (shown on the sign-in page) */
  expired: false,
  /** years the account has, from the latest response that listed them */
  years: [],
  /** the year last chosen (carried by the navigation links) */
  year: null,
  /** streets in scope, for the key-unit filter (loaded once) */
  streets: null,
};

export function rememberYears(years) {
  if (Array.isArray(years) && years.length) session.years = [...years].sort((a, b) => b - a);
}
