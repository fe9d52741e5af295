import express, { type RequestHandler } from 'express';

/**
 * The pages' form bodies: flat fields only (a doubled field becomes a list, never a nested
 * object), at most 200 of them in 100 KB; more is refused before any route sees it.
 */
export const formBodies = (): RequestHandler => express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 });
