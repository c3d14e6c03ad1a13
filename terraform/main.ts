/** cdktf app entry point (`npm run synth`, `cdktf deploy`): builds the stack from the shared deployment config. */
import { DeploymentConfigError, loadDeploymentConfig } from './config';
import { App } from './provider';
import { DirectUploadStack, STACK_NAME } from './stack';

try {
  const config = loadDeploymentConfig();
  const app = new App();
  new DirectUploadStack(app, STACK_NAME, { config });
  app.synth();
  console.log(
    `Synthesized stack "${STACK_NAME}" for s3://${config.bucketName} in ${config.region}, origins ${config.allowedOrigins.join(', ')}.`,
  );
} catch (err) {
  // A config mistake is the user's to fix: print the message that names the setting, not a stack trace.
  if (err instanceof DeploymentConfigError) {
    console.error(`direct-upload: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
