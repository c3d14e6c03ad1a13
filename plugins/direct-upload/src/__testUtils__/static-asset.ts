// What an imported stylesheet or image is in the frontend tests: a bundler turns such an import into the asset's URL.
// Backstage's components import SVGs and CSS files, which only a bundler (webpack, Vite) can load; jest maps them here.
export default 'static-asset';
