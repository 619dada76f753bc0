/** How the add dialog was opened: save the current login, capture a new
 * account's login, or renew the login of a saved account (by its label). */
export type AddMode = 'adopt' | 'capture' | 'relogin';
