/**
 * Initialisation of weights: the named schemes ({@link io.unroll.init.InitScheme}) and the fills
 * they are made of ({@link io.unroll.init.Weights}: uniform, gaussian, Xavier, orthogonal,
 * identity, spectral radius), below the cells, which apply a scheme to their own recurrent weight.
 */
package io.unroll.init;
