// The direct-upload frontend plugin on Backstage's new frontend system: the client API and the upload page.
import { ApiBlueprint, createFrontendPlugin, discoveryApiRef, fetchApiRef, PageBlueprint } from '@backstage/frontend-plugin-api';
import { createDirectUploadApi, directUploadApiRef } from './api';
import { rootRouteRef } from './routes';

/** Provides `directUploadApiRef`, built on the app's discovery and fetch APIs. */
export const directUploadApi = ApiBlueprint.make({
  params: (defineParams) =>
    defineParams({
      api: directUploadApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => createDirectUploadApi({ discoveryApi, fetchApi }),
    }),
});

/** The upload page, at `/direct-upload` unless the app's config moves it. */
export const directUploadPage = PageBlueprint.make({
  params: {
    path: '/direct-upload',
    title: 'Upload files',
    routeRef: rootRouteRef,
    loader: () => import('./components/UploadPage').then((m) => <m.UploadPage />),
  },
});

export const directUploadPlugin = createFrontendPlugin({
  pluginId: 'direct-upload',
  extensions: [directUploadApi, directUploadPage],
  routes: { root: rootRouteRef },
});
