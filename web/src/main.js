// main.js - the app: routes, the login guard and the 401 handler.
import { createApp, nextTick } from 'vue';
import { createRouter, createWebHistory } from 'vue-router';
import App from './App.vue';
import LoginView from './views/LoginView.vue';
import HomeView from './views/HomeView.vue';
import RecordList from './views/RecordList.vue';
import RecordDetail from './views/RecordDetail.vue';
import RecordForm from './views/RecordForm.vue';
import SearchView from './views/SearchView.vue';
// The admin and account screens load on demand.
import { setUnauthorizedHandler } from './api.js';
import { loadSession, session } from './session.js';
import './style.css';

const routes = [
    { path: '/login', component: LoginView, meta: { public: true } },
    { path: '/', component: HomeView },
    { path: '/search', component: SearchView },
    { path: '/records/:type', component: RecordList },
    { path: '/records/:type/new', component: RecordForm },
    { path: '/records/:type/:number', component: RecordDetail },
    { path: '/records/:type/:number/edit', component: RecordForm },
    { path: '/calendar', component: () => import('./views/CalendarView.vue') },
    { path: '/account/mfa', component: () => import('./views/MfaView.vue') },
    { path: '/account/password', component: () => import('./views/PasswordView.vue') },
    { path: '/account/tokens', component: () => import('./views/TokensView.vue') },
    { path: '/admin/roles', component: () => import('./views/admin/RolesView.vue') },
    { path: '/admin/users', component: () => import('./views/admin/UsersView.vue') },
    { path: '/admin/groups', component: () => import('./views/admin/GroupsView.vue') },
    { path: '/admin/org-units', component: () => import('./views/admin/OrgUnitsView.vue') },
    { path: '/admin/policies', component: () => import('./views/admin/PoliciesView.vue') },
    { path: '/admin/channels', component: () => import('./views/admin/ChannelsView.vue') },
    { path: '/admin/integrations', component: () => import('./views/admin/IntegrationsView.vue') },
    // Issue 6: the self-service portal (V1-V3); requesters also have it on their home page.
    { path: '/portal', component: () => import('./views/portal/PortalView.vue') },
    { path: '/portal/services/:number', component: () => import('./views/portal/PortalRequestForm.vue') },
    { path: '/portal/requests/:number', component: () => import('./views/portal/PortalRequestView.vue') },
    { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue') },
];

const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
    if (!session.ready) await loadSession();
    if (!to.meta.public && !session.user) return { path: '/login', query: { next: to.fullPath } };
    return true;
});

// After a navigation inside the app, keyboard and screen-reader users start at the new content
// (or at the field the screen puts first), not at the link they used.
router.afterEach((to, from) => {
    if (!from.matched.length) return; // the first load: the browser's own focus handling
    nextTick(() => {
        const first = document.querySelector('main [autofocus]');
        (first || document.getElementById('main'))?.focus();
    });
});

// A 401 from any call (the session expired or was ended elsewhere): back to the login, and
// back to where the user was afterwards.
setUnauthorizedHandler(() => {
    const cur = router.currentRoute.value;
    if (cur.meta.public) return;
    session.user = null;
    router.push({ path: '/login', query: { next: cur.fullPath, expired: '1' } });
});

createApp(App).use(router).mount('#app');
