import { Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Length of the generated bearer token: 48 letters and digits, about 285 bits. */
export const TOKEN_LENGTH = 48;

/**
 * The bearer token(s) Braze sends. The secret is JSON: every non-empty string value whose key
 * starts with `token` is active (plus the strings of an optional `tokens` array), so a new token
 * can be added next to the old one and Braze switched over before the old one is removed.
 */
export class Tokens extends Construct {
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Bearer token(s) of the Braze Currents connector: {"token": "...", "token_next": "..."}',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        passwordLength: TOKEN_LENGTH,
        excludePunctuation: true,
        includeSpace: false,
      },
    });

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is pasted into the Braze dashboard by hand; automatic rotation would break the ' +
        'connector. Rotation is manual with overlap (two active keys), as docs/operations.md describes.',
    });
  }

  /** Lets a function read the tokens, and nothing else in Secrets Manager. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}
