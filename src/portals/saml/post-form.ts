/**
 * The SAML HTTP-POST binding's page (a Response to a portal, a LogoutRequest by form) is the
 * web layer's auto-post page, shared with the federation edge (an AuthnRequest to a partner).
 */
export { AUTO_SUBMIT_SCRIPT, autoPostPolicy, renderAutoPost, type AutoPost } from '../../web/auto-post.ts';
export { renderContinue, type Continue } from '../../web/layout.ts';
