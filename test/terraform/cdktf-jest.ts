/** Registers cdktf's jest matchers (toHaveResource, toHaveResourceWithProperties ...) and their types for the terraform tests. */
// The matcher types live in this deep module, which cdktf's index does not pull in.
import type {} from 'cdktf/lib/testing/adapters/jest';
import { Testing } from '../../terraform/provider';

Testing.setupJest();
