// The plugin's route reference, so an app can link to the upload page.
import { createRouteRef } from '@backstage/frontend-plugin-api';

export const rootRouteRef = createRouteRef();
