FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled once here (TypeScript is a dev dependency, dropped after the build).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
ENV NODE_ENV=production
RUN mkdir -p /app/.data/imports && chown -R node:node /app/.data
USER node
EXPOSE 3000
CMD ["node", "dist/server.js"]
